// Keeps a long form's draft in this browser (localStorage) until the form is sent.
//
// <form data-eig-draft="KEY" data-eig-draft-restore="true"> saves its fields as they change
// and, when the server sent it blank (data-eig-draft-restore), fills them back from the draft;
// a page with data-eig-draft-clear="KEY" (the confirmation) forgets the draft. Hidden fields
// (CSRF token, form key) and the consent box are never kept: a draft holds what was typed.
// Without JavaScript, or when storage is refused, the form simply works without drafts.

const PREFIX = "eig-draft:";
const NOT_KEPT = new Set(["consent"]);
const DELAY_MS = 400;

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled by the browser's settings
  }
}

function keptFields(form) {
  return Array.from(form.elements).filter(
    (field) =>
      field.name &&
      !NOT_KEPT.has(field.name) &&
      !["hidden", "submit", "button", "password", "file"].includes(field.type),
  );
}

function readDraft(form) {
  const draft = {};
  for (const field of keptFields(form)) {
    if (field.type === "checkbox" || field.type === "radio") {
      draft[field.name] ??= [];
      if (field.checked) draft[field.name].push(field.value);
    } else {
      draft[field.name] = field.value;
    }
  }
  return draft;
}

function applyDraft(form, draft) {
  for (const field of keptFields(form)) {
    if (!(field.name in draft)) continue;
    const value = draft[field.name];
    if (field.type === "checkbox" || field.type === "radio") {
      field.checked = Array.isArray(value) && value.includes(field.value);
    } else if (typeof value === "string") {
      field.value = value;
    }
  }
}

function keepDrafts(form, store) {
  const key = PREFIX + form.dataset.eigDraft;
  if (form.dataset.eigDraftRestore === "true") {
    try {
      const saved = store.getItem(key);
      if (saved) applyDraft(form, JSON.parse(saved));
    } catch {
      store.removeItem(key); // an unreadable draft is dropped, not shown half-applied
    }
  }
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = null;
    try {
      store.setItem(key, JSON.stringify(readDraft(form)));
    } catch {
      // storage full or refused: the form still works, without a draft
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // Leaving the page (or sending) saves what the delay has not saved yet.
  window.addEventListener("pagehide", () => timer !== null && save());
  const status = document.getElementById("draft-status");
  if (status) status.hidden = false;
}

const store = storage();
if (store) {
  for (const form of document.querySelectorAll("form[data-eig-draft]")) keepDrafts(form, store);
  for (const sent of document.querySelectorAll("[data-eig-draft-clear]")) {
    store.removeItem(PREFIX + sent.dataset.eigDraftClear);
  }
}
