// Kestrel's page script: starts GOV.UK Frontend's components and the Blank Screen control.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// Blank Screen: covers the window at once; a click or key brings the page back as it was.
const cover = document.getElementById("blank-screen");
const blankButtons = document.querySelectorAll("[data-kestrel-blank-screen]");
let returnFocus = null;

function showCover() {
  returnFocus = document.activeElement;
  document.dispatchEvent(new CustomEvent("kestrel:blank-screen")); // unsaved forms save first
  cover.hidden = false;
  document.documentElement.classList.add("kestrel-blanked");
  cover.focus();
}

function hideCover(event) {
  if (cover.hidden) return;
  event.preventDefault();
  cover.hidden = true;
  document.documentElement.classList.remove("kestrel-blanked");
  if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus({ preventScroll: true });
}

if (cover) {
  blankButtons.forEach((button) => button.addEventListener("click", showCover));
  cover.addEventListener("click", hideCover);
  cover.addEventListener("keydown", hideCover);
}
