/**
 * The project imports @tensorflow/tfjs-core rather than the whole @tensorflow/tfjs, so that browser bundles
 * carry no webgl, layers, converter or data code. tfjs-core alone registers neither the gradients nor the
 * chained tensor methods (`x.expandDims()`). In Node (CommonJS) only the union package's bundle registers them,
 * so this file loads it; browser bundles get tfjs-setup.browser.ts instead (package.json "browser" field),
 * which imports just those two registrations from tfjs-core's ES modules.
 * Imported by the modules everything passes through (backend, BaseModel, Module, catalog, embeddings).
 */
import '@tensorflow/tfjs';
