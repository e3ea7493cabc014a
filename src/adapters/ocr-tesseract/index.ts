/** tesseract.js adapter: the OcrEngine port over a reused pool of offline Tesseract workers. */
export { TesseractOcr, toPgm, type TesseractModel, type TesseractOcrOptions } from './tesseract-ocr.js';
