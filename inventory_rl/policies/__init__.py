"""Policies that are not learned: the interface every policy follows (``base``), the classic rules
(``rules``), the newsvendor maths (``newsvendor``), the exact lost-sales optimum
(``lost_sales_optimum``) and the rules' tuning (``rule_tuning``)."""
