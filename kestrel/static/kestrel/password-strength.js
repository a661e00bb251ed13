// The live strength meter: asks Kestrel's server to rate the password as it is typed, so the
// meter and the server's decision always agree. Progressive enhancement: without it, the server
// still refuses anything below STRONG.
const input = document.querySelector("[data-password-strength]");
if (input) {
  const meter = document.getElementById("password-strength");
  const label = meter.querySelector("[data-strength-label]");
  const advice = meter.querySelector("[data-strength-advice]");
  const bar = meter.querySelector("meter");
  const form = input.form;
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let latest = 0;

  const show = (rating) => {
    meter.hidden = !input.value;
    bar.value = rating.score;
    label.textContent = rating.label;
    meter.dataset.score = String(rating.score);
    advice.textContent = rating.too_long
      ? "That is more than 128 characters."
      : rating.strong
        ? "STRONG enough."
        : rating.advice || "Not STRONG yet: add more words that are not obviously connected.";
  };

  const rateNow = async () => {
    const asked = ++latest;
    const body = new URLSearchParams({
      password: input.value.slice(0, 129),
      context: input.dataset.passwordStrength,
    });
    try {
      const response = await fetch(meter.dataset.url, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        body,
        credentials: "same-origin",
      });
      if (response.ok && asked === latest) show(await response.json());
    } catch {
      /* The server's own check on submit still applies. */
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    if (!input.value) {
      meter.hidden = true;
      return;
    }
    timer = setTimeout(rateNow, 200);
  });
}
