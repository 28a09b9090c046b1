"""Connectors in and out as the cmdlets speak them: import of `Get-… | ConvertTo-Json` output,
Export as JSON and as PowerShell, and the cmdlet lines of the details panel.

properties.py  the one table: model field ↔ cmdlet property ↔ kind of value, and enum spellings
limits.py      how much one import may hold
errors.py      the import's refusals
documents.py   JSON texts → raw items of each kind
items.py       one raw item → model values, checked by the model
plan.py        the preview: what an import would change
apply.py       the import itself, in one transaction
export.py      Export as JSON
powershell.py  cmdlet lines and Export as PowerShell
views.py       the pages
"""
