// Files on Add Incident and Add Action: each file is uploaded the moment it is chosen or dropped,
// with its progress shown; the server checks its size and type and says plainly if it refuses.
for (const box of document.querySelectorAll("[data-files]")) {
  const input = box.querySelector("input[type=file]");
  const zone = box.querySelector("[data-dropzone]");
  const list = box.querySelector("[data-uploads]");
  const errorLine = box.querySelector("[data-files-error]");
  const form = box.closest("form");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const warning = box.querySelector("[data-no-images-warning]");

  // A "No images" category (nude or semi-nude images) is chosen: Add Action's incident is in
  // one (data-no-images on the box), or a category ticked on Add Incident is. Pictures are then
  // refused by the server before they are kept, and the box says so before anyone tries.
  const noImages = () =>
    box.dataset.noImages === "1" || Boolean(form.querySelector("input[data-no-images]:checked"));
  const showWarning = () => {
    if (warning) warning.hidden = !noImages();
  };
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[name=categories]")) showWarning();
  });
  showWarning();

  const removeButton = (label) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kestrel-chip__remove";
    button.dataset.remove = "";
    button.innerHTML = '<span aria-hidden="true">✕</span>';
    const text = document.createElement("span");
    text.className = "govuk-visually-hidden";
    text.textContent = `Remove ${label}`;
    button.append(text);
    return button;
  };

  const showError = (message) => {
    errorLine.hidden = !message;
    errorLine.textContent = message ? `Error: ${message}` : "";
    box.classList.toggle("govuk-form-group--error", Boolean(message));
  };

  // Files go up one after another (each shows its own progress), in the order chosen.
  let queue = Promise.resolve();
  const upload = (file) => {
    queue = queue.then(() => new Promise((done) => send(file, done)));
  };

  const send = (file, done) => {
    const item = document.createElement("li");
    item.className = "kestrel-upload";
    const name = document.createElement("span");
    name.textContent = file.name;
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Uploading ${file.name}`);
    item.append(name, progress);
    list.append(item);

    const body = new FormData();
    body.append("file", file);
    if (noImages()) body.append("no_images", "1");
    const request = new XMLHttpRequest();
    request.open("POST", box.dataset.uploadUrl);
    request.setRequestHeader("X-CSRFToken", token);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => {
      let answer = {};
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        answer = { error: "The upload failed. Try again." };
      }
      progress.remove();
      if (request.status === 200 && answer.id) {
        name.textContent = `${answer.name} (${answer.size}, ${answer.type})`;
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "files";
        hidden.value = String(answer.id);
        item.append(hidden, removeButton(answer.name));
      } else {
        item.remove();
        showError(answer.error || "The upload failed. Try again.");
      }
      done();
    });
    request.addEventListener("error", () => {
      item.remove();
      showError(`“${file.name}” could not be uploaded: check your connection and try again.`);
      done();
    });
    request.send(body);
  };

  input.addEventListener("change", () => {
    showError("");
    [...input.files].forEach(upload);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("kestrel-dropzone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("kestrel-dropzone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("kestrel-dropzone--over");
    showError("");
    [...event.dataTransfer.files].forEach(upload);
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (button) button.closest("li").remove();
  });
}
