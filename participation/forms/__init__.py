"""WTForms classes, one module per area. Validators only check the input; database
checks live in services."""
