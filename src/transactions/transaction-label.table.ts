/** An analyst's label of a transaction (the latest one wins). */
export interface TransactionLabelTable {
  transaction_id: string;
  label: 'fraud' | 'legit';
  labelled_by: string;
  labelled_at: number;
}
