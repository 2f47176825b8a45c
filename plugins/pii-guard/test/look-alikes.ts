/** Inputs that resemble personal data and must pass every detector (tests and the README refer to this list). */
export const LOOK_ALIKES = [
  // order numbers and ids
  "ORD-2024-000123",
  "order 123456789",
  "Order #4111111111111112",
  "tracking 1Z999AA10123456784",
  // 16-digit numbers failing the Luhn check, and digit runs outside the card ranges
  "4242424242424241",
  "1234 5678 1234 5678",
  "ref 7000000000000000",
  // timestamps and dates
  "2024-01-15",
  "2024-01-15T10:30:00Z",
  "2024-01-15T10:30:00.123+02:00",
  "15/01/2024 and 01.15.2024",
  "epoch 1705312200000",
  // UUIDs
  "550e8400-e29b-41d4-a716-446655440000",
  "12345678-1234-5678-1234-567812345678",
  // version strings
  "1.2.3",
  "v10.15.3-beta.1",
  "node 20.11.1 and 123.45.6789",
  // IP addresses
  "192.168.100.200",
  "10.0.0.1:8080",
  "2001:db8::1",
  // phone-like invoice ids
  "INV-415-555-2671",
  "PO-555-0142-77",
  "invoice 123-456-7890",
  "INV 2024-555-1234",
  "+123",
  // SSN-like numbers in the SSA's invalid ranges
  "000-12-3456",
  "666-12-3456",
  "900-12-3456",
  "123-00-4567",
  "123-45-0000",
  "123-45-67890",
  // e-mail look-alikes
  "icon@2x.png",
  "@portcullis/sdk",
  "user@localhost",
  "a@b.c",
  // IBAN look-alikes: bad check digits, unknown country, wrong length
  "DE89370400440532013001",
  "ZZ89370400440532013000",
  "DE8937040044053201300",
  // amounts
  "Price: 1,234,567.89 USD",
];
