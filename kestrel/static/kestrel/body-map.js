// The body map on Add Incident: numbered markers on front and back figures. Click to place,
// drag to move, describe or remove each in the list below; by keyboard, a cross moved with the
// arrow keys and Enter places one, and its fields are reached with Tab.
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 200;
const HEIGHT = 420;

for (const editor of document.querySelectorAll("[data-body-map-editor]")) {
  const input = editor.querySelector("[data-markers-input]");
  const list = editor.querySelector("[data-marker-list]");
  const empty = editor.querySelector("[data-no-markers]");
  const figures = new Map(
    [...editor.querySelectorAll("[data-body-map]")].map((svg) => [svg.dataset.bodyMap, svg]),
  );
  let markers = [];
  try {
    markers = JSON.parse(input.value || "[]");
    if (!Array.isArray(markers)) markers = [];
  } catch {
    markers = [];
  }

  const save = () => {
    input.value = JSON.stringify(markers);
  };
  const nextNumber = () => Math.max(0, ...markers.map((marker) => marker.n)) + 1;

  // Each marker is described in its own fieldset below the figures: site, size, shape and
  // colour as text, "Is the skin broken?" and "Is there swelling?" as Yes, No or Not known.
  const TEXTS = [
    ["site", "Site", "For example, left forearm", "govuk-!-width-full"],
    ["size", "Size", "For example, 3 cm by 2 cm", "govuk-input--width-10"],
    ["shape", "Shape", "For example, round", "govuk-input--width-10"],
    ["colour", "Colour", "For example, purple-blue", "govuk-input--width-10"],
  ];
  const QUESTIONS = [
    ["broken", "Is the skin broken?"],
    ["swelling", "Is there swelling?"],
  ];
  const ANSWERS = [
    ["yes", "Yes"],
    ["no", "No"],
    ["unknown", "Not known"],
  ];
  const status = editor.querySelector("[data-marker-status]");

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const textField = (marker, [key, label, hint, width]) => {
    const id = `marker-${marker.n}-${key}`;
    const wide = key === "site" ? " kestrel-marker-field--wide" : "";
    const group = element("div", `govuk-form-group kestrel-marker-field${wide}`);
    const labelNode = element("label", "govuk-label", label);
    labelNode.htmlFor = id;
    const hintNode = element("div", "govuk-hint", hint);
    hintNode.id = `${id}-hint`;
    const input = element("input", `govuk-input ${width}`);
    Object.assign(input, { id, name: id, type: "text", value: marker[key] || "" });
    input.maxLength = 100;
    input.autocomplete = "off";
    input.setAttribute("aria-describedby", hintNode.id);
    input.addEventListener("input", () => {
      marker[key] = input.value;
      save();
    });
    group.append(labelNode, hintNode, input);
    return group;
  };

  const question = (marker, [key, legendText]) => {
    const group = element("div", "govuk-form-group kestrel-marker-field");
    const fieldset = element("fieldset", "govuk-fieldset");
    const legend = element("legend", "govuk-fieldset__legend govuk-fieldset__legend--s");
    legend.textContent = legendText;
    const radios = element("div", "govuk-radios govuk-radios--small govuk-radios--inline");
    for (const [value, text] of ANSWERS) {
      const id = `marker-${marker.n}-${key}-${value}`;
      const item = element("div", "govuk-radios__item");
      const input = element("input", "govuk-radios__input");
      Object.assign(input, { id, type: "radio", name: `marker-${marker.n}-${key}`, value });
      input.checked = marker[key] === value;
      input.addEventListener("change", () => {
        marker[key] = value;
        save();
      });
      const label = element("label", "govuk-label govuk-radios__label", text);
      label.htmlFor = id;
      item.append(input, label);
      radios.append(item);
    }
    fieldset.append(legend, radios);
    group.append(fieldset);
    return group;
  };

  const describe = (marker) => {
    const item = element("li", "kestrel-marker-item");
    item.dataset.number = String(marker.n);
    const fieldset = element("fieldset", "govuk-fieldset");
    const legend = element("legend", "govuk-fieldset__legend govuk-fieldset__legend--m");
    const badge = element("span", "kestrel-marker-badge", String(marker.n));
    badge.setAttribute("aria-hidden", "true");
    legend.append(badge, ` Marker ${marker.n}, ${marker.side}`);
    const texts = element("div", "kestrel-marker-fields");
    texts.append(...TEXTS.map((field) => textField(marker, field)));
    const questions = element("div", "kestrel-marker-fields");
    questions.append(...QUESTIONS.map((field) => question(marker, field)));
    const remove = element(
      "button",
      "govuk-button govuk-button--secondary govuk-!-margin-bottom-0",
      `Remove marker ${marker.n}`,
    );
    remove.type = "button";
    remove.addEventListener("click", () => {
      markers = markers.filter((candidate) => candidate !== marker);
      save();
      drawFigures();
      item.remove();
      empty.hidden = markers.length > 0;
      status.textContent = `Marker ${marker.n} removed.`;
      figures.get(marker.side).focus();
    });
    fieldset.append(legend, texts, questions, remove);
    item.append(fieldset);
    return item;
  };

  const drawFigures = () => {
    for (const [side, svg] of figures) {
      const layer = svg.querySelector(".kestrel-figure__markers");
      layer.replaceChildren();
      for (const marker of markers.filter((candidate) => candidate.side === side)) {
        const group = document.createElementNS(SVG, "g");
        group.setAttribute("class", "kestrel-marker");
        group.setAttribute("transform", `translate(${marker.x * WIDTH} ${marker.y * HEIGHT})`);
        group.dataset.number = String(marker.n);
        const circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("r", "11");
        circle.setAttribute("fill", "#d4351c");
        circle.setAttribute("stroke", "#fff");
        circle.setAttribute("stroke-width", "2");
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("text-anchor", "middle");
        label.setAttribute("dy", "5");
        label.setAttribute("fill", "#fff");
        label.setAttribute("font-size", "13");
        label.setAttribute("font-weight", "700");
        label.textContent = String(marker.n);
        group.append(circle, label);
        layer.append(group);
      }
    }
  };

  const draw = () => {
    drawFigures();
    list.replaceChildren(...markers.map(describe));
    empty.hidden = markers.length > 0;
  };

  const pointAt = (svg, event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    return {
      x: Math.min(1, Math.max(0, local.x / WIDTH)),
      y: Math.min(1, Math.max(0, local.y / HEIGHT)),
    };
  };

  const place = (side, where) => {
    const marker = { n: nextNumber(), side, x: +where.x.toFixed(4), y: +where.y.toFixed(4) };
    markers.push(marker);
    save();
    drawFigures();
    list.append(describe(marker));
    empty.hidden = true;
    status.textContent = `Marker ${marker.n} placed on the ${side}. Describe it below the figures.`;
  };

  for (const [side, svg] of figures) {
    let dragging = null;
    let moved = false;
    svg.addEventListener("pointerdown", (event) => {
      const group = event.target.closest(".kestrel-marker");
      if (!group) return;
      dragging = markers.find((marker) => String(marker.n) === group.dataset.number);
      moved = false;
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!dragging) return;
      Object.assign(dragging, pointAt(svg, event));
      moved = true;
      drawFigures();
    });
    svg.addEventListener("pointerup", (event) => {
      if (dragging) {
        svg.releasePointerCapture(event.pointerId);
        dragging = null;
        save();
        return;
      }
      if (!moved) place(side, pointAt(svg, event));
    });

    // Keyboard: a cross that the arrow keys move; Enter or Space places a marker there.
    const cross = document.createElementNS(SVG, "path");
    cross.setAttribute("d", "M-9 0 H9 M0 -9 V9");
    cross.setAttribute("stroke", "#0b0c0c");
    cross.setAttribute("stroke-width", "3");
    cross.setAttribute("class", "kestrel-figure__cross");
    const aim = { x: 0.5, y: 0.3 };
    const showCross = () => {
      cross.setAttribute("transform", `translate(${aim.x * WIDTH} ${aim.y * HEIGHT})`);
    };
    svg.addEventListener("focus", () => {
      showCross();
      svg.append(cross);
    });
    svg.addEventListener("blur", () => cross.remove());
    svg.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 0.08 : 0.02;
      const moves = {
        ArrowLeft: [-step, 0],
        ArrowRight: [step, 0],
        ArrowUp: [0, -step],
        ArrowDown: [0, step],
      };
      if (moves[event.key]) {
        event.preventDefault();
        aim.x = Math.min(1, Math.max(0, aim.x + moves[event.key][0]));
        aim.y = Math.min(1, Math.max(0, aim.y + moves[event.key][1] * (WIDTH / HEIGHT)));
        showCross();
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        place(side, aim);
        svg.append(cross);
      }
    });
  }
  draw();
}
