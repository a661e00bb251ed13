// Add Incident and Add Action: choosing the student, linked students and colleagues to alert, as
// the guide describes. Chosen people become grey "chips" with a red ✕; colleagues who would not
// normally be able to view the incident (by its categories) are highlighted in red.
const form = document.querySelector("[data-incident-form]");
const data = JSON.parse(document.getElementById("staff-chooser-data").textContent);
const autocomplete = window.accessibleAutocomplete;

function makeChip(list, { id, label, name, group }) {
  const existing = list.querySelector(`[data-id="${id}"]`);
  if (existing) return existing;
  const item = document.createElement("li");
  item.className = "kestrel-chip";
  item.dataset.id = String(id);
  if (group) item.dataset.group = String(group);
  const text = document.createElement("span");
  text.textContent = label;
  const note = document.createElement("span");
  note.className = "govuk-visually-hidden";
  note.dataset.warningNote = "";
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = name;
  input.value = String(id);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "kestrel-chip__remove";
  remove.dataset.remove = "";
  const cross = document.createElement("span");
  cross.setAttribute("aria-hidden", "true");
  cross.textContent = "✕";
  const removeLabel = document.createElement("span");
  removeLabel.className = "govuk-visually-hidden";
  removeLabel.textContent = `Remove ${label}`;
  remove.append(cross, removeLabel);
  item.append(text, note, input, remove);
  list.append(item);
  return item;
}

function clearInput(input) {
  // accessible-autocomplete keeps the confirmed text; empty it for the next choice.
  setTimeout(() => {
    input.value = "";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, 0);
}

// accessible-autocomplete writes each suggestion into the page as HTML: a student's name or a
// colleague's job title is text, so its markup characters are escaped ("<a href=…>" shows as typed).
function escapeHtml(text) {
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text).replace(/[&<>"']/g, (character) => entities[character]);
}

function setUpTypeahead(holder, source, onChoose, noResults) {
  autocomplete({
    element: holder,
    id: holder.dataset.inputId,
    minLength: 2,
    source,
    confirmOnBlur: false,
    displayMenu: "list",
    showNoOptionsFound: true,
    tNoResults: () => noResults,
    templates: {
      inputValue: (result) => (result && typeof result === "object" ? result.label : ""),
      suggestion: (result) =>
        escapeHtml(
          typeof result === "string" ? result : result.label + (result.left ? " (left the school)" : ""),
        ),
    },
    onConfirm: (result) => {
      if (result && typeof result === "object") onChoose(result);
    },
  });
  const input = document.getElementById(holder.dataset.inputId);
  input.setAttribute("aria-describedby", holder.dataset.describedBy);
  return input;
}

// A linked student's two choices from the guide, beside their chip.
function addLinkOptions(chip, student) {
  if (chip.querySelector(".kestrel-link-options")) return; // chosen twice: one set
  const options = document.createElement("span");
  options.className = "kestrel-link-options";
  for (const [name, label] of [
    ["link_monitor", "monitor under the same category"],
    ["link_share", "share documents"],
  ]) {
    const id = `${name}_${student.id}`;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = name;
    box.value = String(student.id);
    box.id = id;
    const text = document.createElement("label");
    text.htmlFor = id;
    text.textContent = label;
    // Each student's boxes are told apart by a screen reader: "share documents for Leah ...".
    const whose = document.createElement("span");
    whose.className = "govuk-visually-hidden";
    whose.textContent = ` for ${student.label}`;
    text.append(whose);
    const wrap = document.createElement("span");
    wrap.className = "kestrel-link-option";
    wrap.append(box, text);
    options.append(wrap);
  }
  chip.insertBefore(options, chip.querySelector("[data-remove]"));
}

// Each linked student's note for their own file, and whether the whole entry is shared with it:
// a copy of the page's empty one (its <template>), made theirs. Their name is set as text.
function addLinkNote(box, student) {
  const notes = box.querySelector("[data-link-notes]");
  const template = box.querySelector("[data-link-note-template]");
  if (!notes || !template || notes.querySelector(`[data-link-note="${student.id}"]`)) return;
  const note = template.content.firstElementChild.cloneNode(true);
  const id = String(student.id);
  for (const element of [note, ...note.querySelectorAll("*")]) {
    for (const name of ["id", "for", "name", "value", "aria-describedby", "data-link-note"]) {
      const value = element.getAttribute(name);
      if (value && value.includes("__id__")) element.setAttribute(name, value.replaceAll("__id__", id));
    }
  }
  for (const label of note.querySelectorAll("[data-link-label]")) label.textContent = student.label;
  note.querySelector("textarea").value = "";
  notes.append(note);
}

// Students: the one the incident is about, and linked students.
for (const box of form.querySelectorAll("[data-chooser]")) {
  const single = box.hasAttribute("data-single");
  const list = box.querySelector("[data-chips]");
  const holder = box.querySelector("[data-typeahead]");
  const studentSource = async (query, populate) => {
    try {
      const url = `${data.searchUrl}?q=${encodeURIComponent(query)}`;
      const response = await fetch(url, { credentials: "same-origin" });
      populate(response.ok ? (await response.json()).results : []);
    } catch {
      populate([]);
    }
  };
  const refresh = () => {
    if (single) holder.hidden = list.children.length > 0;
  };
  const input = setUpTypeahead(
    holder,
    studentSource,
    (student) => {
      if (single) list.replaceChildren();
      const chip = makeChip(list, { ...student, name: box.dataset.field });
      if (!single) {
        addLinkOptions(chip, student);
        addLinkNote(box, student);
      }
      clearInput(input);
      refresh();
      if (single) list.querySelector("[data-remove]").focus();
    },
    "No student found",
  );
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const chip = button.closest("li");
    box.querySelector(`[data-link-note="${chip.dataset.id}"]`)?.remove();
    chip.remove();
    refresh();
    input.focus();
  });
  refresh();
}

// Colleagues to alert: type-ahead over the school's staff (asked of the server as you type), and
// one button per alert group.
const staffBox = form.querySelector("[data-staff-chooser]");
const staffList = staffBox.querySelector("[data-chips]");
const staffById = new Map(data.staff.map((person) => [String(person.id), person]));

// Who would normally be able to view the incident is the server's to say (its access policy):
// asked for the chosen colleagues, with the categories ticked (Add Incident) or the incident
// (Add Action). Only the latest answer is shown, however the replies arrive.
let asked = 0;

async function unusualColleagues(ids) {
  const params = new URLSearchParams();
  if (data.incident) params.append("incident", String(data.incident));
  for (const box of form.querySelectorAll("input[name=categories]:checked")) params.append("category", box.value);
  if (!ids.length || (!data.incident && !params.has("category"))) return new Set();
  for (const id of ids) params.append("id", id);
  try {
    const response = await fetch(`${data.staffSearchUrl}?${params}`, { credentials: "same-origin" });
    const people = response.ok ? (await response.json()).results : [];
    return new Set(people.filter((person) => person.normally === false).map((person) => String(person.id)));
  } catch {
    return new Set();
  }
}

async function highlight() {
  const ticket = ++asked;
  const unusualIds = await unusualColleagues([...staffList.children].map((item) => item.dataset.id));
  if (ticket !== asked) return;
  for (const item of staffList.children) {
    const unusual = unusualIds.has(item.dataset.id);
    item.classList.toggle("kestrel-chip--warning", unusual);
    item.querySelector("[data-warning-note]").textContent = unusual
      ? " (would not normally be able to view this incident)"
      : "";
  }
}

function addColleague(person, group) {
  const item = makeChip(staffList, {
    id: person.id,
    label: person.title ? `${person.name}, ${person.title}` : person.name,
    name: "alert_staff",
    group,
  });
  if (!group) delete item.dataset.group; // chosen by name: stays if the group is unticked
}

const staffInput = setUpTypeahead(
  staffBox.querySelector("[data-typeahead]"),
  async (query, populate) => {
    try {
      const url = `${data.staffSearchUrl}?q=${encodeURIComponent(query)}`;
      const response = await fetch(url, { credentials: "same-origin" });
      const people = response.ok ? (await response.json()).results : [];
      for (const person of people) staffById.set(String(person.id), person);
      populate(
        people.map((person) => ({ ...person, label: person.title ? `${person.name}, ${person.title}` : person.name })),
      );
    } catch {
      populate([]);
    }
  },
  (person) => {
    addColleague(person);
    clearInput(staffInput);
    highlight();
  },
  "No colleague found",
);

staffList.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove]");
  if (!button) return;
  button.closest("li").remove();
  staffInput.focus();
});

for (const box of staffBox.querySelectorAll("input[name=alert_groups]")) {
  box.addEventListener("change", () => {
    const group = data.groups.find((candidate) => String(candidate.id) === box.value);
    if (!group) return;
    if (box.checked) {
      for (const id of group.members) {
        const person = staffById.get(String(id));
        if (person && !staffList.querySelector(`[data-id="${id}"]`)) addColleague(person, group.id);
      }
    } else {
      for (const item of staffList.querySelectorAll(`[data-group="${group.id}"]`)) item.remove();
    }
    highlight();
  });
}

// Add Action: "Add incident alert recipients" adds everyone alerted to the incident.
for (const button of form.querySelectorAll("[data-add-recipients]")) {
  button.addEventListener("click", () => {
    for (const id of data.incidentRecipients || []) {
      const person = staffById.get(String(id));
      if (person) addColleague(person);
    }
    highlight();
  });
}

// Colleagues chosen before a refused submit come back as chips.
for (const input of staffBox.querySelectorAll("[data-initial-staff]")) {
  const person = staffById.get(input.value);
  if (person) addColleague(person);
  input.remove();
}
for (const box of form.querySelectorAll("input[name=categories]")) box.addEventListener("change", highlight);
highlight();

// Prevent: the facts a Channel referral needs are asked for while a Prevent category is ticked.
const preventFacts = form.querySelector("[data-prevent-facts]");
if (preventFacts) {
  const showPrevent = () => {
    preventFacts.hidden = !form.querySelector("input[data-prevent]:checked");
  };
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[name=categories]")) showPrevent();
  });
  showPrevent();
}
