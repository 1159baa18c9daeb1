import { writeFileSync } from 'node:fs';
import QRCode from 'qrcode';

/**
 * A synthetic camera for browser tests: Chromium's fake capture device plays a file in a loop
 * (`--use-file-for-fake-video-capture`), here a Y4M video (YUV4MPEG2, 4:2:0) written from QR codes.
 *
 * Each code is shown for `framesPerCode` frames, black modules on white with a quiet zone, centred
 * and scaled to fill most of the frame, as a phone held up to the camera would. Between codes an
 * empty grey frame (`gapFrames`) makes a queue: a scanner in continuous mode sees one code leave and
 * the next arrive. `text` lists the codes in order; one code makes a still picture.
 */
export function writeQrVideo(file: string, text: readonly string[], options: { width?: number; height?: number; framesPerCode?: number; gapFrames?: number; fps?: number } = {}): void {
  const { width = 640, height = 480, framesPerCode = 20, gapFrames = 10, fps = 10 } = options;
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const frame = (luma: Uint8Array) => {
    const out = Buffer.alloc(6 + ySize + 2 * cSize);
    out.write('FRAME\n', 0, 'latin1');
    out.set(luma, 6);
    out.fill(128, 6 + ySize); // no colour
    return out;
  };
  const blank = frame(new Uint8Array(ySize).fill(200));
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'latin1')];
  for (const value of text) {
    const qr = QRCode.create(value, { errorCorrectionLevel: 'M' });
    const n = qr.modules.size;
    const quiet = 4;
    const scale = Math.floor((Math.min(width, height) * 0.9) / (n + 2 * quiet));
    if (scale < 2) throw new Error(`writeQrVideo: a ${n}-module code does not fit ${width}×${height} at 2 px a module`);
    const side = (n + 2 * quiet) * scale;
    const left = Math.floor((width - side) / 2);
    const top = Math.floor((height - side) / 2);
    const luma = new Uint8Array(ySize).fill(200);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const mx = Math.floor(x / scale) - quiet;
        const my = Math.floor(y / scale) - quiet;
        const dark = mx >= 0 && my >= 0 && mx < n && my < n && Boolean(qr.modules.get(my, mx));
        luma[(top + y) * width + left + x] = dark ? 16 : 235;
      }
    }
    const code = frame(luma);
    for (let i = 0; i < framesPerCode; i++) parts.push(code);
    for (let i = 0; i < gapFrames; i++) parts.push(blank);
  }
  writeFileSync(file, Buffer.concat(parts));
}
