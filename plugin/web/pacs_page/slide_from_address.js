// PathSentry's viewer page on the PACS: the slide (and the triage threshold, for the legend)
// from the address, ?study=UID&series=UID[&threshold=p]; slide_viewer.js then opens it from the
// DICOMweb of the server that serves this page. Runs before it (deferred scripts keep order).
"use strict";

(() => {
  const query = new URLSearchParams(window.location.search);
  const threshold = Number(query.get("threshold") || "0.5");
  document.querySelectorAll(".slide-viewer").forEach((element) => {
    element.dataset.study = query.get("study") || "";
    element.dataset.series = query.get("series") || "";
    element.dataset.threshold = String(threshold);
  });
  document.querySelectorAll(".threshold-text").forEach((element) => {
    element.textContent = `threshold ${threshold.toFixed(2)}`;
  });
  if (query.get("series")) {
    document.title = `Slide ${query.get("series")} – PathSentry viewer`;
  }
})();
