// PathSentry case page: the slide at full resolution from PathSentry's own DICOMweb
// (dicom-microscopy-viewer), with the AI segmentation over it, a switch (H) and opacity.
"use strict";

const DICOMWEB = "/dicom-web";
// Where the viewer finds its decoding worker and WebAssembly decoders (served by PathSentry).
window.PUBLIC_LIB_URL = "/viewer/dmv/dynamic-import/";

function tag(document, key) {
  const element = document[key];
  return element && element.Value ? element.Value[0] : undefined;
}

async function seriesMetadata(client, study, series) {
  const documents = await client.retrieveSeriesMetadata({
    studyInstanceUID: study,
    seriesInstanceUID: series,
  });
  return documents;
}

async function volumeImages(client, study, series) {
  const documents = await seriesMetadata(client, study, series);
  return documents
    .map((metadata) => new dicomMicroscopyViewer.metadata.VLWholeSlideMicroscopyImage({ metadata }))
    .filter((image) => image.ImageType[2] === "VOLUME");
}

async function segmentations(client, study, frameOfReference) {
  const series = await client.searchForSeries({
    studyInstanceUID: study,
    queryParams: { Modality: "SEG" },
  });
  const found = [];
  for (const item of series) {
    const documents = await seriesMetadata(client, study, tag(item, "0020000E"));
    documents
      .filter((document) => tag(document, "00200052") === frameOfReference)
      .forEach((metadata) => found.push(new dicomMicroscopyViewer.metadata.Segmentation({ metadata })));
  }
  return found;
}

function controls(element) {
  const card = element.closest(".viewer");
  return {
    toggle: card.querySelector(".segment-toggle"),
    opacity: card.querySelector(".segment-opacity"),
    status: card.querySelector(".viewer-status"),
    threshold: card.querySelector(".legend-threshold"),
  };
}

function styleSegments(viewer, parts) {
  const opacity = Number(parts.opacity.value) / 100;
  viewer.getAllSegments().forEach((segment) => {
    if (parts.toggle.checked) {
      viewer.showSegment(segment.uid, { opacity });
    } else {
      viewer.hideSegment(segment.uid);
    }
  });
}

async function openSlide(element) {
  const parts = controls(element);
  parts.threshold.style.left = `${Number(element.dataset.threshold) * 100}%`;
  const client = new DICOMwebClient.api.DICOMwebClient({ url: DICOMWEB });
  const images = await volumeImages(client, element.dataset.study, element.dataset.series);
  const viewer = new dicomMicroscopyViewer.viewer.VolumeImageViewer({ client, metadata: images });
  viewer.render({ container: element });
  element.pathsentryViewer = viewer;
  const segments = await segmentations(client, element.dataset.study, images[0].FrameOfReferenceUID);
  if (segments.length === 0) {
    parts.status.textContent = "No AI segmentation for this slide yet.";
    return;
  }
  viewer.addSegments(segments);
  styleSegments(viewer, parts);
  parts.toggle.addEventListener("change", () => styleSegments(viewer, parts));
  parts.opacity.addEventListener("input", () => styleSegments(viewer, parts));
  element.dataset.segments = String(viewer.getAllSegments().length);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".slide-viewer").forEach((element) => {
    openSlide(element).catch((error) => {
      controls(element).status.textContent = `The slide viewer could not open this slide: ${error.message}`;
      element.dataset.failed = "true";
    });
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.matches && event.target.matches("input[type=text], input:not([type]), textarea");
    if (event.key.toLowerCase() !== "h" || typing || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    document.querySelectorAll(".segment-toggle").forEach((box) => {
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change"));
    });
  });
});
