// masto.js's streaming client against the server at the given URL: finds the streaming URL
// in the v2 instance, opens the WebSocket with the token (masto.js sends it as
// Sec-WebSocket-Protocol), subscribes to the user stream and prints one JSON line per event
// ({"event", "id", "type"}) until it is stopped.
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "ws";

const [url, accessToken] = process.argv.slice(2);
try {
  const rest = createRestAPIClient({ url, accessToken });
  const instance = await rest.v2.instance.fetch();
  const streaming = createStreamingAPIClient({
    streamingApiUrl: instance.configuration.urls.streaming,
    accessToken,
    implementation: WebSocket,
    retry: false,
  });
  for await (const event of streaming.user.subscribe()) {
    console.log(JSON.stringify({ event: event.event, id: event.payload.id, type: event.payload.type }));
  }
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
}
