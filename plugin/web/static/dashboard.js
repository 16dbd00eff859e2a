// PathSentry dashboard: refresh the worklist rows, open cases, switch the heatmap and QC overlays.
"use strict";

function refreshWorklist(body) {
  const url = body.dataset.refreshUrl;
  const seconds = Number(body.dataset.refreshSeconds) || 5;
  const stamp = document.getElementById("worklist-updated");
  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || response.status === 401) {
        window.location.reload(); // the session ended: the page will ask to log in
        return;
      }
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      body.innerHTML = await response.text(); // server-rendered, escaped HTML
      if (stamp) {
        stamp.textContent = "Updated " + new Date().toLocaleTimeString();
      }
    } catch (error) {
      if (stamp) {
        stamp.textContent = "Cannot reach the server; retrying";
      }
    }
  }
  window.setInterval(refresh, seconds * 1000);
}

function openCaseOnRowClick(body) {
  body.addEventListener("click", (event) => {
    if (event.target.closest("a, button, input")) {
      return;
    }
    const row = event.target.closest("tr[data-href]");
    if (row) {
      window.location.href = row.dataset.href;
    }
  });
}

function setHeatmap(figure, on) {
  figure.classList.toggle("heatmap-on", on);
  const box = figure.parentElement.querySelector(".heatmap-toggle");
  if (box) {
    box.checked = on;
  }
}

function heatmapControls() {
  document.querySelectorAll(".heatmap-toggle").forEach((box) => {
    const figure = box.closest(".viewer").querySelector("figure.overlay");
    box.addEventListener("change", () => setHeatmap(figure, box.checked));
  });
  document.querySelectorAll(".heatmap-opacity").forEach((slider) => {
    const figure = slider.closest(".viewer").querySelector("figure.overlay");
    const apply = () => figure.style.setProperty("--heatmap-opacity", String(slider.value / 100));
    slider.addEventListener("input", apply);
    apply();
  });
  document.addEventListener("keydown", (event) => {
    // Typing a comment must not switch the heatmap; a focused checkbox or slider may.
    const typing = event.target.closest(
      "input:not([type=checkbox]):not([type=range]), textarea, select",
    );
    if (event.key.toLowerCase() !== "h" || typing || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const figures = [...document.querySelectorAll(".viewer figure.overlay")].filter(
      (figure) => figure.querySelector("img.heatmap"),
    );
    const on = !figures.every((figure) => figure.classList.contains("heatmap-on"));
    figures.forEach((figure) => setHeatmap(figure, on));
  });
}

function setQualityLayer(figure, on) {
  figure.classList.toggle("qc-on", on);
  const box = figure.parentElement.querySelector(".qc-toggle");
  if (box) {
    box.checked = on;
  }
}

function qualityControls() {
  document.querySelectorAll(".qc-toggle").forEach((box) => {
    const figure = box.closest(".viewer").querySelector("figure.overlay");
    box.addEventListener("change", () => setQualityLayer(figure, box.checked));
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest(
      "input:not([type=checkbox]):not([type=range]), textarea, select",
    );
    if (event.key.toLowerCase() !== "q" || typing || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const figures = [...document.querySelectorAll(".viewer figure.overlay")].filter(
      (figure) => figure.querySelector("img.qc"),
    );
    const on = !figures.every((figure) => figure.classList.contains("qc-on"));
    figures.forEach((figure) => setQualityLayer(figure, on));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const rows = document.getElementById("worklist-rows");
  if (rows) {
    refreshWorklist(rows);
    openCaseOnRowClick(rows);
  }
  heatmapControls();
  qualityControls();
});
