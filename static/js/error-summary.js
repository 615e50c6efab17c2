// A form's error summary (the error_summary macro): focused when the page loads, so a phone shows what went wrong
// instead of the top of the page, and each of its links focuses its field with the field's label in view.
const summary = document.getElementById("error-summary");

if (summary) {
  if (document.activeElement !== summary) summary.focus();  // where the browser did not honour autofocus

  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    // A group of choices links to its fieldset: focus the ticked choice, else the first
    const input = target.matches("input, select, textarea") ? target
      : target.querySelector("input:checked") || target.querySelector("input, select, textarea");
    if (!input) return;
    event.preventDefault();
    const fieldset = input.closest("fieldset");
    const label = fieldset ? fieldset.querySelector("legend") : document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    (label || input).scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
}
