-- test/citus/distribute.sql — on the Citus coordinator, after schema.sql: the dimension tables
-- become reference tables (a copy on every node), the customer-keyed tables are distributed by
-- customer_id and colocated, contacts by record_id.
SET client_min_messages = warning;
SET citus.shard_count = 8;
SELECT create_reference_table('shop.channels');
SELECT create_reference_table('shop.campaigns');
SELECT create_reference_table('shop.priors');
SELECT create_distributed_table('shop.customers', 'customer_id');
SELECT create_distributed_table('shop.messages', 'customer_id', colocate_with => 'shop.customers');
SELECT create_distributed_table('shop.message_events', 'customer_id', colocate_with => 'shop.customers');
SELECT create_distributed_table('shop.outcomes', 'customer_id', colocate_with => 'shop.customers');
SELECT create_distributed_table('shop.daily_rates', 'customer_id', colocate_with => 'shop.customers');
SELECT create_distributed_table('shop.daily_message_states', 'customer_id', colocate_with => 'shop.customers');
SELECT create_distributed_table('shop.contacts', 'record_id', colocate_with => 'none');
