"""The world: scenarios (``config``), demand (``demand``) and the batched warehouse simulator (``warehouses``)."""
