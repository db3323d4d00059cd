/** The region-list rules this version implements; a manifest naming other rules is refused. Alone so provenance records it without loading the region-list code. */
export const RULES_VERSION = 'vmfwupdate-snp/1';
