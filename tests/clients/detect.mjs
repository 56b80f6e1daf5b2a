// Which server software megalodon takes the server at the given URL for, and what its client
// for that software then reads: prints one JSON line, {"sns", "version", "title"}; on an
// error prints its message alone and exits 1.
import generator, { detector } from "megalodon";

const [url] = process.argv.slice(2);
try {
  const sns = await detector(url);
  const instance = await generator(sns, url).getInstance();
  console.log(JSON.stringify({ sns, version: instance.data.version, title: instance.data.title }));
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
}
