/**
 * Kernel categories of the step breakdown (benchmarks/step-breakdown.ts): which part of the engine a tfjs kernel
 * name belongs to. Kernels added later (fused or native ones) fall in by name where possible.
 */
export const CATEGORIES = ['matMul', 'attention products', 'reductions', 'elementwise', 'copies/layout', 'other kernels', 'custom-op wrappers'] as const;
export type Category = (typeof CATEGORIES)[number];

const REDUCTIONS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'ArgMax', 'ArgMin', 'All', 'Any', 'Cumsum', 'Cumprod']);
const ATTENTION = new Set(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'FusedConv2D', 'FusedDepthwiseConv2D']);
const LAYOUT = new Set([
  'Identity', 'Transpose', 'SplitV', 'Concat', 'Slice', 'StridedSlice', 'Reshape', 'Pad', 'PadV2', 'MirrorPad', 'Tile', 'Pack', 'Unpack', 'GatherV2',
  'GatherNd', 'Reverse', 'BroadcastTo', 'ExpandDims', 'Squeeze', 'ScatterNd', 'TensorScatterUpdate', 'UnsortedSegmentSum', 'Complex', 'Real', 'Imag',
]);
const ELEMENTWISE = new Set([
  'Add', 'AddN', 'Sub', 'Multiply', 'RealDiv', 'Div', 'FloorDiv', 'Mod', 'Pow', 'SquaredDifference', 'Maximum', 'Minimum', 'Exp', 'Expm1', 'Log', 'Log1p',
  'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Sign', 'Reciprocal', 'Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Prelu', 'Sigmoid', 'Softplus', 'Tanh',
  'Sin', 'Cos', 'Erf', 'Step', 'Cast', 'Select', 'Where', 'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr',
  'LogicalNot', 'ClipByValue', 'Floor', 'Ceil', 'Round', 'IsNan', 'IsInf', 'IsFinite', 'OnesLike', 'ZerosLike', 'Fill', 'Range', 'EluGrad', 'Relu6Grad',
  'ReluGrad', 'RsqrtGrad', 'SqrtGrad', 'SigmoidGrad', 'TanhGrad', 'Softmax', 'LogSoftmax',
]);

/** Category of a kernel name; kernels added later (fused or native ones) fall in by name where possible. */
export function categoryOf(kernel: string): Exclude<Category, 'custom-op wrappers'> {
  if (kernel === 'NextrecTimeMajorMatMul') return 'attention products'; // the native attention products (time-major-matmul.ts)
  if (kernel === 'NextrecAttentionWeights' || kernel === 'NextrecAttentionWeightsGrad') return 'elementwise'; // softmax / SiLU between the products
  if (kernel === 'MatMul' || kernel === 'BatchMatMul' || kernel === '_FusedMatMul' || /matmul|gemm|dense/i.test(kernel)) return 'matMul';
  if (ATTENTION.has(kernel) || /attention/i.test(kernel)) return 'attention products';
  if (REDUCTIONS.has(kernel)) return 'reductions';
  if (LAYOUT.has(kernel)) return 'copies/layout';
  if (ELEMENTWISE.has(kernel)) return 'elementwise';
  return 'other kernels';
}

