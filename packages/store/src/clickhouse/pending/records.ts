export type { AttributeEntry, RecordedData, StoredEvent, StoredIdentity, StoredUser } from '@brazen/analytics';
