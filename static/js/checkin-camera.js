// The rear camera and a continuous QR decode loop. Decoding uses the phone's own BarcodeDetector where it reads
// QR codes (Android Chrome), else the vendored qr-scanner decoder in a worker (iOS Safari, desktop, Linux CI).
import QrScanner from "../vendor/qr-scanner/qr-scanner.min.js";

const SCAN_INTERVAL_MS = 60;

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

export class Camera {
  /**
   * @param {HTMLVideoElement} video
   * @param {string} workerUrl  the qr-scanner worker, served from our own origin (the CSP allows no blob: workers)
   * @param {(text: string) => void} onCode  called for every decoded frame; the caller drops repeats
   */
  constructor(video, workerUrl, onCode) {
    this.video = video;
    this.workerUrl = workerUrl;
    this.onCode = onCode;
    this.canvas = document.createElement("canvas");
    this.canvas.getContext("2d", { willReadFrequently: true }); // the decoder reads every frame back
    this.stream = null;
    this.timer = null;
    this.engine = null;
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (this.running) return;
    this.engine ??= (await nativeDetector()) ?? new Worker(this.workerUrl);
    // "ideal", not "exact": laptops and the fake test camera have no rear camera and would refuse "exact"
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false, video: { facingMode: { ideal: "environment" } },
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.scheduleScan();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  scheduleScan() {
    this.timer = setTimeout(() => this.scan(), SCAN_INTERVAL_MS);
  }

  async scan() {
    if (!this.running) return;
    if (this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      try {
        const result = await QrScanner.scanImage(this.video, {
          qrEngine: this.engine, canvas: this.canvas, returnDetailedScanResult: true,
        });
        if (result.data && this.running) this.onCode(result.data);
      } catch (error) {
        if (error !== QrScanner.NO_QR_CODE_FOUND) console.warn("QR decode failed", error);
      }
    }
    if (this.running) this.scheduleScan();
  }
}

export function cameraProblem(error) {
  // The names getUserMedia rejects with, mapped to what the person can do about it.
  if (!navigator.mediaDevices?.getUserMedia) return "insecure";
  if (error?.name === "NotAllowedError" || error?.name === "SecurityError") return "denied";
  if (error?.name === "NotFoundError" || error?.name === "OverconstrainedError") return "missing";
  if (error?.name === "NotReadableError" || error?.name === "AbortError") return "busy";
  return "other";
}
