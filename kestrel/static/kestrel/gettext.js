// Kestrel is in English: the passkey scripts' translation hook returns its text unchanged.
window.gettext = window.gettext || ((text) => text);
