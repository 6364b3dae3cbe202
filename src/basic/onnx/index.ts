/**
 * ONNX export (Node entry; browser bundles leave it out). Importing this module installs the exporter behind
 * `model.toOnnx()` / `model.exportOnnx(path)`.
 */
import { setOnnxExporter } from '../model/onnx-hook';
import { rankingModelToOnnx } from './export';

export { rankingModelToOnnx } from './export';
export type { OnnxSignature } from './export';
export { OnnxExportError } from './graph';
export { decodeOnnxModel } from './onnx-proto';

setOnnxExporter((model, opts) => rankingModelToOnnx(model, opts));
