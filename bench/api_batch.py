"""Writes a batch of 1,000 orders (JSON for POST /v1/orders/batch) to standard output: placed
over the last year, one to three lines each, of the SKUs read from standard input."""
import datetime
import json
import random
import sys

random.seed(7)
skus = [line.strip() for line in sys.stdin if line.strip()]
now = datetime.datetime.now(datetime.timezone.utc)
orders = []
for _ in range(1000):
    placed = now - datetime.timedelta(seconds=random.randrange(365 * 86400))
    items = [{"sku": random.choice(skus), "quantity": random.randint(1, 3)} for _ in range(random.randint(1, 3))]
    orders.append({"placed_at": placed.strftime("%Y-%m-%dT%H:%M:%SZ"), "items": items})
json.dump({"orders": orders}, sys.stdout)
