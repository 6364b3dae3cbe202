import { promises as fs } from 'fs';

/**
 * Read embedding vectors from a file for `model.embeddings.setPretrained` (Node only):
 *  - `.txt`, `.csv`, `.tsv`, `.vec`: one row per line, numbers separated by whitespace or commas (blank lines skipped);
 *  - anything else: raw little-endian float32 values, row after row (e.g. numpy's `arr.astype('<f4').tofile(path)`).
 * Rows are returned concatenated; `dim`, when given, is checked against every text row and the binary length.
 */
export async function readEmbeddingFile(path: string, opts: { dim?: number } = {}): Promise<Float32Array> {
  const { dim } = opts;
  if (dim !== undefined && (!Number.isInteger(dim) || dim < 1)) throw new Error(`readEmbeddingFile: dim must be a positive integer (got ${dim})`);
  if (/\.(txt|csv|tsv|vec)$/i.test(path)) {
    const text = await fs.readFile(path, 'utf8');
    const out: number[] = [];
    let width = dim;
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      const row = line.trim().split(/[\s,]+/).map(Number);
      if (row.some((v) => !Number.isFinite(v))) throw new Error(`readEmbeddingFile: ${path} line ${i + 1} has a value that is not a number`);
      if (width === undefined) width = row.length;
      if (row.length !== width) throw new Error(`readEmbeddingFile: ${path} line ${i + 1} has ${row.length} values, expected ${width}`);
      out.push(...row);
    });
    return Float32Array.from(out);
  }
  const bytes = await fs.readFile(path);
  if (bytes.length % 4 !== 0) throw new Error(`readEmbeddingFile: ${path} has ${bytes.length} bytes, not a whole number of float32 values`);
  const values = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  if (dim !== undefined && values.length % dim !== 0) throw new Error(`readEmbeddingFile: ${path} holds ${values.length} floats, not a multiple of dim ${dim}`);
  return values;
}
