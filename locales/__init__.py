"""The gettext catalogs (vi, en) and the translator that reads them (`locales.i18n`)."""
