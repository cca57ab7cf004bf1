# The kernel's side of TcpInteropKernelTest: one TCP connection, as listener or client, that sends
# a generated stream (random.randbytes, never held whole) and reads the other way to EOF, hashing
# both with SHA-256. Prints 'ready' once listening, then 'sent N HEX' and 'got N HEX' (or
# 'reset N' when the peer reset the connection), 'state STATE' and 'done'.
#   tcp_peer.py listen PORT [options]      tcp_peer.py connect HOST PORT [options]
# options: send=N (bytes, then SHUT_WR), seed=S, rcvbuf=B (before listen/connect), pause=SEC
# (before the first read), abort_after=K (once K bytes are read: SO_LINGER 0 and close, a RST),
# go (wait for a line on stdin before SHUT_WR: the test times our FIN against the kernel's)
import hashlib, random, socket, struct, sys, threading, time

args = sys.argv[1:]
role = args.pop(0)
if role == 'listen':
    host, port = '0.0.0.0', int(args.pop(0))
else:
    host, port = args.pop(0), int(args.pop(0))
opt = dict(a.split('=', 1) if '=' in a else (a, '1') for a in args)
send = int(opt.get('send', '0'))
_out_lock = threading.Lock()


def out(*m):  # the reader and the sender thread both report: one whole line at a time
    with _out_lock:
        print(*m, flush=True)

s = socket.socket()
if 'rcvbuf' in opt:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(opt['rcvbuf']))
if role == 'listen':
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(1)
    out('ready')
    c, _ = s.accept()
    s.close()
else:
    s.settimeout(30)
    s.connect((host, port))
    s.settimeout(None)
    c = s
out('connected')

def sender():
    h = hashlib.sha256()
    rnd = random.Random(int(opt.get('seed', '1')))
    n = 0
    try:
        while n < send:
            b = rnd.randbytes(min(1 << 20, send - n))
            h.update(b)
            c.sendall(b)
            n += len(b)
        if 'go' in opt:
            sys.stdin.readline()
        if 'abort_after' not in opt:
            c.shutdown(socket.SHUT_WR)
        out('sent', n, h.hexdigest())
    except ConnectionResetError:
        out('reset', n)  # the RST reached the sending thread first; the reader then sees EOF
    except OSError as e:
        out('send-error', n, type(e).__name__)

t = threading.Thread(target=sender)
t.start()
if 'pause' in opt:
    time.sleep(float(opt['pause']))
h = hashlib.sha256()
got = 0
limit = int(opt.get('abort_after', '-1'))
buf = bytearray(1 << 20)
view = memoryview(buf)
try:
    while True:
        k = c.recv_into(buf)
        if k == 0:
            break
        h.update(view[:k])
        got += k
        if 0 <= limit <= got:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            c.close()
            out('aborted', got)
            break
    else:
        pass
    if limit < 0 or got < limit:
        out('got', got, h.hexdigest())
except ConnectionResetError:
    out('reset', got)
t.join()
if limit < 0:
    c.close()
out('done')
