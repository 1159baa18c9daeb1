/**
 * QR codes from the device camera. The browser's own BarcodeDetector where it has one that reads
 * QR codes (Chrome on Android and macOS, …); elsewhere (Chrome on Linux and Windows, Firefox,
 * Safari) the `barcode-detector` ponyfill (MIT), the same API over ZXing-C++ compiled to
 * WebAssembly (`zxing-wasm`, MIT). Its 1.1 MB .wasm is served from our own assets — the package
 * would fetch it from a CDN — and loaded only when a scan starts on such a browser.
 */

export type DetectorKind = 'native' | 'zxing-wasm';

export interface QrDetector {
  kind: DetectorKind;
  /** The text of every QR code in the frame (usually none or one). */
  detect(source: HTMLVideoElement): Promise<string[]>;
}

interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

export async function createQrDetector(): Promise<QrDetector> {
  const native = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  const formats: string[] = native ? await native.getSupportedFormats().catch(() => []) : [];
  if (native && formats.includes('qr_code')) {
    return wrap('native', new native({ formats: ['qr_code'] }));
  }
  const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
    import('barcode-detector/ponyfill'),
    import('zxing-wasm/reader/zxing_reader.wasm?url'),
  ]);
  prepareZXingModule({ overrides: { locateFile: (file: string, prefix: string) => (file.endsWith('.wasm') ? wasmUrl : prefix + file) } });
  return wrap('zxing-wasm', new BarcodeDetector({ formats: ['qr_code'] }));
}

function wrap(kind: DetectorKind, detector: BarcodeDetectorLike): QrDetector {
  return { kind, detect: async (source) => (await detector.detect(source)).map((b) => b.rawValue).filter((v) => v.length > 0) };
}

/** The back camera when there is one, as a stream for a <video>; errors in words a partner's staff can act on. */
export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('此浏览器无法使用摄像头：请用 https 地址打开本页，或改用下方的粘贴核验。');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 } }, audio: false });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NotAllowedError') throw new Error('没有得到摄像头权限：请在浏览器设置中允许本页使用摄像头。');
    if (name === 'NotFoundError' || name === 'OverconstrainedError') throw new Error('没有找到可用的摄像头。');
    if (name === 'NotReadableError') throw new Error('摄像头正被其他应用占用。');
    throw err;
  }
}
