import type { TransactionRow } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';

/** The accepted input stored in `row` (to decide a transaction stored as pending). */
export function transactionOfRow(row: TransactionRow): TransactionInput {
  return {
    transaction_id: row.transaction_id,
    account_id: row.account_id,
    amount: Number(row.amount),
    currency: row.currency,
    time: Number(row.event_time),
    merchant_id: row.merchant_id,
    merchant_type: row.merchant_type,
    device_type: row.device_type,
    channel: row.channel,
    origin_country: row.origin_country,
    destination_country: row.destination_country,
    balance: row.balance === null ? null : Number(row.balance),
    location_match: row.location_match === null ? null : row.location_match === 1 ? 1 : 0,
    raw: JSON.parse(row.raw) as Record<string, unknown>,
  };
}
