"""A benchmark node that behaves like a warm Odoo worker answering search_read: every request takes THINK_MS
(10 ms, the p50 measured on Odoo 18 here) before a fixed JSON answer. Keep-alive HTTP/1.1 on 127.0.0.1:PORT.

    python3 slow_node.py PORT [THINK_MS]
"""
import asyncio
import sys

BODY = b'{"jsonrpc": "2.0", "id": 1, "result": [{"id": 1, "name": "Ada"}]}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY


async def serve(reader, writer, think):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if not head.startswith(b"GET /web/health") and not head.startswith(b"GET /websocket/health"):
                await asyncio.sleep(think)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port, think):
    server = await asyncio.start_server(lambda r, w: serve(r, w, think), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2] if len(sys.argv) > 2 else 10) / 1000))
