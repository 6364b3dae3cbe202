import { DataError } from '../../basic/dataset/dataset';
import { csvSource } from '../readers/csv';
import { readTable, requireFiles, RawTable } from './common';
import { TabularDataset } from './tabular';

/** The 42 columns of UCI census-income (KDD) data files, in file order (names follow census-income.names). */
export const CENSUS_COLUMNS = [
  'age', 'class_of_worker', 'detailed_industry_recode', 'detailed_occupation_recode', 'education', 'wage_per_hour',
  'enroll_in_edu_inst_last_wk', 'marital_stat', 'major_industry_code', 'major_occupation_code', 'race', 'hispanic_origin',
  'sex', 'member_of_a_labor_union', 'reason_for_unemployment', 'full_or_part_time_employment_stat', 'capital_gains',
  'capital_losses', 'dividends_from_stocks', 'tax_filer_stat', 'region_of_previous_residence', 'state_of_previous_residence',
  'detailed_household_and_family_stat', 'detailed_household_summary_in_household', 'instance_weight',
  'migration_code_change_in_msa', 'migration_code_change_in_reg', 'migration_code_move_within_reg',
  'live_in_this_house_1_year_ago', 'migration_prev_res_in_sunbelt', 'num_persons_worked_for_employer',
  'family_members_under_18', 'country_of_birth_father', 'country_of_birth_mother', 'country_of_birth_self', 'citizenship',
  'own_business_or_self_employed', 'fill_inc_questionnaire_for_veterans_admin', 'veterans_benefits', 'weeks_worked_in_year',
  'year', 'income',
];

/** Continuous columns (the others are nominal, including coded ones such as detailed_industry_recode). */
export const CENSUS_DENSE = ['age', 'wage_per_hour', 'capital_gains', 'capital_losses', 'dividends_from_stocks', 'num_persons_worked_for_employer', 'weeks_worked_in_year'];

/** Nominal feature columns: marital status is a task (never married), so it is not a feature; instance_weight is a sampling weight. */
export const CENSUS_SPARSE = CENSUS_COLUMNS.filter((c) => !CENSUS_DENSE.includes(c) && !['income', 'marital_stat', 'instance_weight'].includes(c));

async function readCensus(file: string): Promise<RawTable> {
  const t = await readTable(csvSource(file, { header: CENSUS_COLUMNS, trim: true, quote: false }));
  const income = t.columns.income;
  const marital = t.columns.marital_stat;
  t.columns.income_50k = income.map((v, i) => {
    const s = String(v).trim();
    if (s === '50000+.') return 1;
    if (s === '- 50000.') return 0;
    throw new DataError(`${file} data row ${i + 1}: income label ${JSON.stringify(v)} is neither '50000+.' nor '- 50000.'`);
  });
  t.columns.never_married = marital.map((v) => (String(v).trim() === 'Never married' ? 1 : 0));
  return t;
}

/**
 * UCI census-income (KDD) from census-income.data (and census-income.test when present) in `dir`: comma-separated,
 * no header, 42 columns. Two binary tasks as in the MMoE paper: income_50k (label '50000+.') and never_married
 * (marital status 'Never married'). The published test file becomes `testTable`.
 */
export async function loadCensusIncome(dir: string): Promise<TabularDataset> {
  const files = requireFiles('census-income', dir, ['census-income.data'], 'Unpack census-income.data.gz (and .test.gz) from the UCI repository into one folder.', ['census-income.test']);
  const train = await readCensus(files['census-income.data']);
  const test = files['census-income.test'] ? await readCensus(files['census-income.test']) : null;
  return new TabularDataset(
    'census-income',
    train,
    { labels: ['income_50k', 'never_married'], dense: CENSUS_DENSE, sparse: CENSUS_SPARSE },
    { dense: { scaler: 'standard' } },
    test,
  );
}
