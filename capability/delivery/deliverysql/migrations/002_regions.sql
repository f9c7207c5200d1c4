-- A template's exceptions by destination (region rules, JSON: each rule's resolved regions, fee,
-- threshold, or no delivery). Read whole with the template, never queried.
ALTER TABLE delivery_templates ADD COLUMN regions TEXT;
