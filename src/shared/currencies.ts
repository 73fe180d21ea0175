/**
 * ISO 4217 codes in use that ICU's list of currencies leaves out: Venezuela's digital bolívar
 * (VED, since 2021), funds codes (Chile's UF as CLF, Mexico's UDI as MXV, …), precious metals
 * (XAU, XAG, XPT, XPD), bond-market units, and the code for testing (XTS). Not XXX, "no
 * currency", which a payment cannot be in.
 */
const ISO_4217_NOT_IN_ICU =
  'BOV CHE CHW CLF COU MXV USN UYI UYW VED XAG XAU XBA XBB XBC XBD XPD XPT XTS XUA'.split(' ');
/** ISO 4217 currency codes: the runtime's ICU list (Node ships full ICU) and those it lacks. */
export const CURRENCIES: ReadonlySet<string> = new Set([
  ...Intl.supportedValuesOf('currency'),
  ...ISO_4217_NOT_IN_ICU,
]);
