"""The CRM-ready lead export (issue 16, helper "exports"): filters, CSV/XLSX streamed in flat memory, logged; the
same file from the back office and from `eventapp leads export`."""
