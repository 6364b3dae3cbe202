import type { BaseModel } from './base-model';

/** What {@link BaseModel.toOnnx} returns. */
export interface OnnxExport {
  bytes: Uint8Array;
  signature: {
    inputs: Array<{ name: string; dtype: 'int32' | 'float32' | 'float64'; shape: Array<number | 'batch'> }>;
    outputs: Array<{ name: string; shape: Array<number | 'batch'>; columns?: string[] }>;
  };
}

/** Options of {@link BaseModel.toOnnx}. */
export interface OnnxExportOptions {
  /** Store embedding tables as float16 (half the file; cast back to float32 in the graph). Default false. */
  float16Tables?: boolean;
}

let onnxExporter: ((model: BaseModel, opts: OnnxExportOptions) => Promise<OnnxExport>) | null = null;

/** Install the ONNX exporter (src/basic/onnx does this; kept out of BaseModel so browser bundles skip it). */
export function setOnnxExporter(fn: (model: BaseModel, opts: OnnxExportOptions) => Promise<OnnxExport>): void {
  onnxExporter = fn;
}

/** The installed exporter; an error naming the import that installs it when none is. */
export function onnxExporterOrThrow(): (model: BaseModel, opts: OnnxExportOptions) => Promise<OnnxExport> {
  if (!onnxExporter) throw new Error("toOnnx/exportOnnx: the ONNX exporter is not loaded; import it from 'nextrec-ts' (the Node entry) or src/basic/onnx");
  return onnxExporter;
}
