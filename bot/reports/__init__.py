"""The reports' files: XLSX workbooks (xlsx.py) and PNG charts (charts.py), and the labels they share."""
