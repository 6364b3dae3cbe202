import { DenseFeature, FeatureSpecError, SequenceFeature, SparseFeature, validateFeatureSet, featureFromSpec, featureToSpec } from '../src/basic/features';

describe('feature declarations', () => {
  it('accepts a valid sparse feature with defaults', () => {
    const f = new SparseFeature({ name: 'user_id', vocabSize: 100 });
    expect(f.embeddingDim).toBe(16);
    expect(f.numHashes).toBe(1);
    expect(f.tableName).toBe('user_id');
  });

  it('names the feature and the field in errors', () => {
    expect(() => new SparseFeature({ name: 'movie', vocabSize: 0 })).toThrow(/SparseFeature 'movie'.*\n.*vocabSize/);
    expect(() => new SparseFeature({ name: 'movie', vocabSize: 10, embeddingDim: 2.5 })).toThrow(/embeddingDim must be an integer/);
    expect(() => new SequenceFeature({ name: 'hist', vocabSize: 10, maxLen: 0 })).toThrow(/SequenceFeature 'hist'[\s\S]*maxLen/);
    expect(() => new SequenceFeature({ name: 'hist', vocabSize: 10, maxLen: 5, pooling: 'avg' as never })).toThrow(/pooling/);
    expect(() => new DenseFeature({ name: 'price', dim: -1 })).toThrow(/DenseFeature 'price'[\s\S]*dim/);
    expect(() => new SparseFeature({ name: '', vocabSize: 10 })).toThrow(/name/);
  });

  it('reports every bad field at once and exposes them', () => {
    try {
      new SparseFeature({ name: 'x', vocabSize: -3, embeddingDim: 0 });
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(FeatureSpecError);
      expect((e as FeatureSpecError).fields.sort()).toEqual(['embeddingDim', 'vocabSize']);
      expect((e as FeatureSpecError).featureName).toBe('x');
    }
  });

  it('rejects unknown options (typos) by name', () => {
    expect(() => new SparseFeature({ name: 'x', vocabSize: 10, embedingDim: 8 } as never)).toThrow(/unknown option\(s\) 'embedingDim'/);
  });

  it('validates nested initializer settings', () => {
    expect(() => new SparseFeature({ name: 'x', vocabSize: 10, initializer: { type: 'gaussian' as never } })).toThrow(/initializer.type/);
  });

  it('multi-hash implies hashing', () => {
    expect(new SparseFeature({ name: 'x', vocabSize: 1000, numHashes: 2 }).hashing).toBe(true);
  });

  it('checks a feature set: duplicate names and inconsistent shared tables', () => {
    const a = new SparseFeature({ name: 'item', vocabSize: 50, embeddingName: 'items' });
    const b = new SequenceFeature({ name: 'hist', vocabSize: 50, maxLen: 5, embeddingName: 'items' });
    expect(() => validateFeatureSet([a, b])).not.toThrow();
    const c = new SequenceFeature({ name: 'hist', vocabSize: 60, maxLen: 5, embeddingName: 'items' });
    expect(() => validateFeatureSet([a, c])).toThrow(/share table 'items' but have different vocabSize \(50 vs 60\)/);
    expect(() => validateFeatureSet([a, new DenseFeature({ name: 'item' })])).toThrow(/declared twice/);
  });

  it('round-trips through plain specs', () => {
    const f = new SequenceFeature({ name: 'hist', vocabSize: 50, maxLen: 7, pooling: 'max', embeddingDim: 8, l2: 1e-5 });
    const g = featureFromSpec(featureToSpec(f)) as SequenceFeature;
    expect(g).toBeInstanceOf(SequenceFeature);
    expect(featureToSpec(g)).toEqual(featureToSpec(f));
  });
});
