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

// SR content items (TID 1500): each focus is a group with a tracking identifier, a
// SCOORD3D polygon in slide coordinates, and its mean and peak probability.
function contentItems(item) {
  const children = item["0040A730"] && item["0040A730"].Value ? item["0040A730"].Value : [];
  return children;
}

function codeMeaning(item) {
  const name = item["0040A043"] && item["0040A043"].Value ? item["0040A043"].Value[0] : {};
  return tag(name, "00080104") || "";
}

function conceptMeaning(item) {
  const concept = item["0040A168"] && item["0040A168"].Value ? item["0040A168"].Value[0] : {};
  return tag(concept, "00080104") || "";
}

// A measurement group whose own items hold a polygon (not a container of groups).
function regionOf(group) {
  const found = { identifier: "", coordinates: null, frameOfReference: "", peak: null };
  contentItems(group).forEach((item) => {
    const kind = tag(item, "0040A040");
    if (kind === "SCOORD3D" && item["00700022"]) {
      const flat = item["00700022"].Value;
      found.coordinates = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        found.coordinates.push([flat[i], flat[i + 1], flat[i + 2]]);
      }
      found.frameOfReference = tag(item, "30060024");
    } else if (kind === "TEXT" && codeMeaning(item) === "Tracking Identifier") {
      found.identifier = tag(item, "0040A160");
    } else if (kind === "NUM" && item["0040A300"]) {
      const modifiers = contentItems(item).map(conceptMeaning).join(" ").toLowerCase();
      if (modifiers.includes("maximum")) {
        found.peak = Number(tag(item["0040A300"].Value[0], "0040A30A"));
      }
    }
  });
  return found.coordinates ? found : null;
}

async function reportedFoci(client, study, frameOfReference) {
  const series = await client.searchForSeries({
    studyInstanceUID: study,
    queryParams: { Modality: "SR" },
  });
  const foci = [];
  for (const item of series) {
    const documents = await seriesMetadata(client, study, tag(item, "0020000E"));
    documents.forEach((document) => {
      const groups = [];
      const collect = (node) => {
        contentItems(node).forEach((child) => {
          if (tag(child, "0040A040") === "CONTAINER") {
            groups.push(child);
          }
          collect(child);
        });
      };
      collect(document);
      groups
        .map(regionOf)
        .filter((region) => region && region.frameOfReference === frameOfReference)
        .forEach((region) => foci.push(region));
    });
  }
  return foci;
}

// A click on a focus shows all of it with a margin, but always at least ZOOM_IN_AT_LEAST times
// the magnification of the whole slide: a focus as large as the slide would otherwise leave
// the view where it was. The view is centred on the middle of the focus's outline.
const FOCUS_MARGIN = 1.2;
const ZOOM_IN_AT_LEAST = 2;
// dicom-microscopy-viewer's zoomToROI (0.48) fits seven times the extent of the ROI it is given.
const ZOOM_TO_ROI_EXPANSION = 7;

function extentOf(coordinates) {
  const xs = coordinates.map((point) => point[0]);
  const ys = coordinates.map((point) => point[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

// Millimetres per screen pixel that show the focus (any orientation of the slide on screen).
function focusResolution(viewer, element, extent) {
  const [, size] = viewer.boundingBox;
  const shorter = Math.min(element.clientWidth, element.clientHeight);
  const longer = Math.max(element.clientWidth, element.clientHeight);
  const fits = (FOCUS_MARGIN * Math.max(extent[2] - extent[0], extent[3] - extent[1])) / shorter;
  // The whole slide is shown at no finer than this (its longer side along the longer screen side).
  const overview = Math.max(size[0], size[1]) / longer;
  return Math.min(fits, overview / ZOOM_IN_AT_LEAST);
}

function zoomToFocus(viewer, element, focus) {
  const extent = extentOf(focus.coordinates);
  const centre = [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2];
  // A square (so the slide's rotation on screen does not matter) that zoomToROI expands to the
  // view wanted, added just for the zoom and removed straight after.
  const side = focusResolution(viewer, element, extent) * Math.min(element.clientWidth, element.clientHeight);
  const half = side / ZOOM_TO_ROI_EXPANSION / 2;
  const z = focus.coordinates[0][2];
  const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]];
  const uid = `${element.dataset.series}.focus-view`;
  const scoord3d = new dicomMicroscopyViewer.scoord3d.Polygon({
    coordinates: corners.map(([dx, dy]) => [centre[0] + dx * half, centre[1] + dy * half, z]),
    frameOfReferenceUID: focus.frameOfReference,
  });
  viewer.addROI(new dicomMicroscopyViewer.roi.ROI({ scoord3d, uid }), {
    stroke: { color: [0, 0, 0, 0], width: 0 },
    fill: { color: [0, 0, 0, 0] },
  });
  viewer.zoomToROI(uid);
  viewer.removeROI(uid);
}

function showFoci(viewer, element, foci) {
  const list = controls(element).foci;
  foci.forEach((focus, index) => {
    const uid = `${element.dataset.series}.focus.${index + 1}`;
    const scoord3d = new dicomMicroscopyViewer.scoord3d.Polygon({
      coordinates: focus.coordinates,
      frameOfReferenceUID: focus.frameOfReference,
    });
    viewer.addROI(new dicomMicroscopyViewer.roi.ROI({ scoord3d, uid }), {
      stroke: { color: [20, 20, 20, 1], width: 2 },
      fill: { color: [0, 0, 0, 0] },
    });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small focus";
    const peak = focus.peak === null ? "" : ` · peak ${focus.peak.toFixed(2)}`;
    button.textContent = `${focus.identifier || `Focus ${index + 1}`}${peak}`;
    button.addEventListener("click", () => {
      zoomToFocus(viewer, element, focus);
      element.dataset.zoomedTo = uid;
    });
    const entry = document.createElement("li");
    entry.append(button);
    list.append(entry);
  });
  element.dataset.foci = String(foci.length);
}

function controls(element) {
  const card = element.closest(".viewer");
  return {
    toggle: card.querySelector(".segment-toggle"),
    opacity: card.querySelector(".segment-opacity"),
    status: card.querySelector(".viewer-status"),
    threshold: card.querySelector(".legend-threshold"),
    foci: card.querySelector(".foci"),
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
  const frameOfReference = images[0].FrameOfReferenceUID;
  showFoci(viewer, element, await reportedFoci(client, element.dataset.study, frameOfReference));
  const segments = await segmentations(client, element.dataset.study, frameOfReference);
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
