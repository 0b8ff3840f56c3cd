// graphflow graph model in Neo4j: constraints and indexes (Neo4j 5 syntax).
// Generated from graphflow/store/model.py by `python -m graphflow.store.model`;
// do not edit by hand. `graphflow neo4j load` applies it before loading; every
// statement is idempotent (IF NOT EXISTS). Apply by hand with:
//   cypher-shell -d neo4j -f schema/neo4j/constraints.cypher
// model version 2

CREATE CONSTRAINT graphflow_pack_key IF NOT EXISTS FOR (n:Pack) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_jurisdiction_key IF NOT EXISTS FOR (n:Jurisdiction) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_actor_key IF NOT EXISTS FOR (n:Actor) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_flow_key IF NOT EXISTS FOR (n:Flow) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_data_item_key IF NOT EXISTS FOR (n:DataItem) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_fact_key IF NOT EXISTS FOR (n:Fact) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_rule_key IF NOT EXISTS FOR (n:Rule) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_source_key IF NOT EXISTS FOR (n:Source) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_profile_key IF NOT EXISTS FOR (n:Profile) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_conflict_key IF NOT EXISTS FOR (n:Conflict) REQUIRE (n.pack, n.id) IS UNIQUE;
CREATE CONSTRAINT graphflow_route_key IF NOT EXISTS FOR (n:Route) REQUIRE (n.pack, n.profile, n.as_of, n.id) IS UNIQUE;
CREATE INDEX graphflow_actor_name IF NOT EXISTS FOR (n:Actor) ON (n.name);
CREATE INDEX graphflow_route_status IF NOT EXISTS FOR (n:Route) ON (n.status);
CREATE INDEX graphflow_flows_to_id IF NOT EXISTS FOR ()-[r:FLOWS_TO]-() ON (r.id);
