#!/usr/bin/env bash
# A complaint filed and settled through the JSON API, with curl and jq.
# Against `make run` (demo data), giving the server's log for the SMS code:
#   make run > hejie.log 2>&1 &      then      HEJIE_LOG=hejie.log bash docs/curl-session.sh
set -euo pipefail
B=${B:-http://127.0.0.1:8000/api/v1}

# api METHOD PATH [TOKEN] [JSON] [extra curl args...]: prints the call, returns the body
api() {
  local method=$1 path=$2 token=${3:-} data=${4:-}
  shift $(( $# < 4 ? $# : 4 ))
  local args=(-s -X "$method" "$B$path" -H 'Content-Type: application/json')
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$data" ] && args+=(-d "$data")
  printf '$ curl -X %s %s%s%s\n' "$method" "\$B$path" "${token:+ -H 'Authorization: Bearer …'}" "${data:+ -d '$data'}" >&2
  curl "${args[@]}" "$@"
}
say() { printf '\n# %s\n' "$*" >&2; }

say "1. The consumer asks for a sign-in code (the default SMS backend writes it to the log)"
api POST /auth/code "" '{"phone": "13900000009"}' | jq -c . >&2
sleep 1
if [ -n "${HEJIE_LOG:-}" ]; then CODE=$(grep -o '验证码 [0-9]\{6\}' "$HEJIE_LOG" | tail -1 | grep -o '[0-9]\{6\}'); fi
if [ -z "${CODE:-}" ]; then read -r -p "code: " CODE; fi

say "2. ... and signs in with it (the account is created on first sign-in)"
R=$(api POST /auth/token "" "{\"phone\": \"13900000009\", \"code\": \"$CODE\"}"); echo "$R" | jq -c '.token = "…"' >&2
C=$(echo "$R" | jq -r .token)

say "3. Finds the business by the pinyin initials of 汉口老通城"
R=$(api GET "/businesses?q=hkltc"); echo "$R" | jq -c '.items[0] | {id, name, stars, credit_index}' >&2
BIZ=$(echo "$R" | jq -r '.items[0].id')

say "4. Files the complaint (an Idempotency-Key makes a retry on a bad network safe)"
R=$(api POST /complaints "$C" "{\"business_id\": $BIZ, \"problem_type\": \"quality\", \"claim_type\": \"refund\", \"claim_amount\": \"36\", \"description\": \"豆皮里吃出一根头发，店员不予处理，要求退款。\"}" -H "Idempotency-Key: session-$$")
echo "$R" | jq -c . >&2
ORDER=$(echo "$R" | jq -r .id)

say "5. The business signs in with its password and offers a full refund"
S=$(api POST /auth/token "" '{"username": "biz_1", "password": "hejie-demo-2026"}' | jq -r .token)
R=$(api POST "/complaints/$ORDER/proposals" "$S" '{"terms": "全额退款36元", "amount": "36"}'); echo "$R" | jq -c '{id, status, amount, reply_by}' >&2
P=$(echo "$R" | jq -r .id)

say "6. The consumer accepts: settled within 24 hours, so 5 stars and 10 credit points"
api POST "/complaints/$ORDER/proposals/$P/accept" "$C" | jq -c '{number, state, stars, credit_points, timeline: [.timeline[].type]}' >&2

say "7. Another business's staff cannot see the order at all"
S2=$(api POST /auth/token "" '{"username": "biz_2", "password": "hejie-demo-2026"}' | jq -r .token)
api GET "/complaints/$ORDER" "$S2" | jq -c . >&2
