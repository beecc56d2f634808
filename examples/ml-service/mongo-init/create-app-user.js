// Creates the API's own MongoDB user: readWrite on its one database, nothing else (no admin, no other database).
// The mongo image runs the files in /docker-entrypoint-initdb.d once, with mongosh, when the data volume is empty.
const database = process.env.MONGO_APP_DB;
db.getSiblingDB(database).createUser({
  user: process.env.MONGO_APP_USER,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: "readWrite", db: database }],
});
