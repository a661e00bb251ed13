// Nothing typed is lost: Add Incident is saved on the server as it is typed, and at once when
// Blank Screen covers it, the tab is hidden or closed.
const form = document.querySelector("[data-draft-url]");
if (form) {
  const status = form.querySelector("[data-draft-status]");
  let timer = null;
  let dirty = false;

  const save = async () => {
    clearTimeout(timer);
    if (!dirty) return;
    dirty = false;
    try {
      const response = await fetch(form.dataset.draftUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
      const answer = response.ok ? await response.json() : {};
      if (answer.saved) status.textContent = `Draft saved at ${answer.at}.`;
    } catch {
      dirty = true; // try again with the next change
    }
  };

  const saveNow = () => {
    if (!dirty) return;
    dirty = false;
    navigator.sendBeacon(form.dataset.draftUrl, new FormData(form));
  };

  const changed = () => {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Chips and markers change hidden inputs, which fire no events: watch for those (and not for
  // this script's own "Draft saved" line, which would otherwise save again and again).
  new MutationObserver((mutations) => {
    if (mutations.some((mutation) => !status.contains(mutation.target))) changed();
  }).observe(form, { subtree: true, childList: true, attributes: true, attributeFilter: ["value"] });
  document.addEventListener("kestrel:blank-screen", saveNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveNow();
  });
  window.addEventListener("pagehide", saveNow);
  form.addEventListener("submit", () => {
    dirty = false;
    clearTimeout(timer);
  });
}
