export { dayLabel, dayNumber, isValidTimeZone, localDay, parseIsoInstant, seriesUnits, type SeriesUnit, type Unit } from '@brazen/analytics';
