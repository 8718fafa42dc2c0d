touch /tmp/nxb_hold; while [ -f /tmp/nxb_hold ]; do sleep 1; done
