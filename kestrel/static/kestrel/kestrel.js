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
  restartIdleTimer();
}

if (cover) {
  blankButtons.forEach((button) => button.addEventListener("click", showCover));
  cover.addEventListener("click", hideCover);
  cover.addEventListener("keydown", hideCover);
}

// After 15 minutes with no keyboard or mouse in any of the user's Kestrel tabs, Blank Screen
// comes on by itself in all of them (the guide). Tabs tell each other through a storage event
// (a time stamp only, never anything from the page).
const IDLE_MS = 15 * 60 * 1000;
const ACTIVE_KEY = "kestrel-activity";
const BLANK_KEY = "kestrel-blank";
let idleTimer = null;
let lastShared = 0;

function tell(key) {
  try {
    localStorage.setItem(key, `${Date.now()}-${Math.random()}`);
  } catch {
    /* storage switched off: this tab still covers itself */
  }
}

function restartIdleTimer() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (cover && cover.hidden) showCover();
    tell(BLANK_KEY);
  }, IDLE_MS);
}

function activity() {
  if (cover && !cover.hidden) return; // dismissing the cover is handled by its own listeners
  restartIdleTimer();
  const now = Date.now();
  if (now - lastShared > 5000) {
    lastShared = now;
    tell(ACTIVE_KEY);
  }
}

if (cover && document.body.dataset.signedIn === "true") {
  for (const kind of ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "input"]) {
    window.addEventListener(kind, activity, { passive: true });
  }
  window.addEventListener("storage", (event) => {
    if (event.key === BLANK_KEY && cover.hidden) showCover();
    if (event.key === ACTIVE_KEY) restartIdleTimer();
  });
  restartIdleTimer();
}
