import type { RuleSetDocument } from './rule-set.js';

/**
 * The rule set installed at first start: the four rules of the Kinesis prototype, plus
 * allow and deny lists (empty until an operator fills them).
 */
export const DEFAULT_RULE_SET: RuleSetDocument = {
  name: 'default',
  description:
    'Prototype rules (high amount, velocity, cross-border, low balance) with allow and deny lists.',
  lists: {
    deny_accounts: [],
    deny_merchants: [],
    deny_countries: [],
    allow_accounts: [],
    allow_merchants: [],
    allow_countries: [],
  },
  rules: [
    {
      id: 'HIGH_AMOUNT',
      condition: 'amount > 10000',
      message: 'Amount above 10,000.',
      severity: 'high',
      score: 50,
      action: 'review',
    },
    {
      id: 'VELOCITY_1M',
      condition: 'count_60s > 3',
      message: 'More than 3 transactions of the account within 60 seconds.',
      severity: 'high',
      score: 50,
      action: 'review',
    },
    {
      id: 'CROSS_BORDER',
      condition:
        'origin_country != null and destination_country != null and origin_country != destination_country',
      message: 'Origin and destination countries differ.',
      severity: 'medium',
      score: 30,
      action: 'review',
    },
    {
      id: 'LOW_BALANCE',
      condition: 'balance != null and amount > 0.9 * balance',
      message: 'Amount above 90% of the balance.',
      severity: 'medium',
      score: 30,
      action: 'review',
    },
    {
      id: 'DENY_ACCOUNT',
      condition: "account_id in list('deny_accounts')",
      message: 'Account is on the deny list.',
      severity: 'critical',
      score: 100,
      action: 'decline',
    },
    {
      id: 'DENY_MERCHANT',
      condition: "merchant_id in list('deny_merchants')",
      message: 'Merchant is on the deny list.',
      severity: 'critical',
      score: 100,
      action: 'decline',
    },
    {
      id: 'DENY_COUNTRY',
      condition: "origin_country in list('deny_countries') or destination_country in list('deny_countries')",
      message: 'A country of the transaction is on the deny list.',
      severity: 'critical',
      score: 100,
      action: 'decline',
    },
    {
      id: 'ALLOW_ACCOUNT',
      condition: "account_id in list('allow_accounts')",
      message: 'Account is on the allow list.',
      severity: 'low',
      score: 0,
      action: 'approve',
    },
    {
      id: 'ALLOW_MERCHANT',
      condition: "merchant_id in list('allow_merchants')",
      message: 'Merchant is on the allow list.',
      severity: 'low',
      score: 0,
      action: 'approve',
    },
    {
      // Every country the transaction names is trusted (a transaction naming none is not).
      id: 'ALLOW_COUNTRY',
      condition:
        "(origin_country != null or destination_country != null) and (origin_country == null or origin_country in list('allow_countries')) and (destination_country == null or destination_country in list('allow_countries'))",
      message: 'The countries of the transaction are on the allow list.',
      severity: 'low',
      score: 0,
      action: 'approve',
    },
  ],
};
