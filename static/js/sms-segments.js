// The SMS wording's size as the organiser types it: characters, encoding and how many SMS it is sent as. The same
// rule as messaging/sms.py sms_segments (GSM-7: 160, 153 a part; anything else, all Chinese: UCS-2, 70, 67 a part).
const GSM7_BASIC = new Set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà");
const GSM7_EXTENSION = new Set("^{}[]~\\|€\f");  // sent as escape + character: two septets each

function parts(widths, single, part) {
  const total = widths.reduce((sum, width) => sum + width, 0);
  if (total <= single) return total ? 1 : 0;
  let count = 1, used = 0;  // a pair is never split across two parts
  for (const width of widths) {
    if (used + width > part) { count += 1; used = 0; }
    used += width;
  }
  return count;
}

export function smsSegments(text) {
  const chars = Array.from(text.replace(/\r\n/g, "\n"));  // a textarea posts line ends as CRLF, the server strips
  if (chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c))) {
    return { encoding: "GSM-7", segments: parts(chars.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)), 160, 153) };
  }
  return { encoding: "UCS-2", segments: parts(chars.map((c) => (c.codePointAt(0) > 0xffff ? 2 : 1)), 70, 67) };
}

const output = document.getElementById("sms-live");
const field = output && document.getElementById(output.dataset.field);
if (field) {
  const show = () => {
    const { encoding, segments } = smsSegments(field.value);
    output.textContent = output.dataset.template.replace("{characters}", Array.from(field.value).length)
      .replace("{encoding}", encoding).replace("{segments}", segments);
    output.hidden = !field.value;
  };
  field.addEventListener("input", show);
  show();
}
