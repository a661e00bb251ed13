// The body map on Add Incident: numbered markers on front and back figures. Click to place,
// drag to move, remove from the list; by keyboard, a cross moved with the arrow keys and Enter.
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
  } catch {
    markers = [];
  }

  const save = () => {
    input.value = JSON.stringify(markers);
  };
  const nextNumber = () => Math.max(0, ...markers.map((marker) => marker.n)) + 1;

  const draw = () => {
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
    list.replaceChildren(
      ...markers.map((marker) => {
        const item = document.createElement("li");
        item.className = "kestrel-marker-item";
        const text = document.createElement("span");
        text.textContent = `Marker ${marker.n}, ${marker.side}`;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0";
        remove.textContent = `Remove marker ${marker.n}`;
        remove.addEventListener("click", () => {
          markers = markers.filter((candidate) => candidate !== marker);
          save();
          draw();
          figures.get(marker.side).focus();
        });
        item.append(text, remove);
        return item;
      }),
    );
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
    markers.push({ n: nextNumber(), side, x: +where.x.toFixed(4), y: +where.y.toFixed(4) });
    save();
    draw();
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
      draw();
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
