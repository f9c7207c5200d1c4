// The trade service: what the access layer (and any other caller) asks of the product layer.
// Money crosses as integer minor units with an ISO 4217 currency. Business failures come back as
// Kitex business-status errors whose extra "code" is the stable error code
// (e.g. "inventory.insufficient_stock") and whose extra "detail" is the public message.
namespace go trade

// Caller is who asks, as the access layer authenticated it. The tenant never comes from a
// request body. userId is empty for operators.
struct Caller {
    1: string tenant
    2: string bizCode
    3: string userId
    4: string channel
    5: string role
    // The buyer's membership level, as the front end's login asserted it (member pricing).
    6: string memberLevel
}

struct Money {
    1: i64 amount
    2: string currency
}

struct Item {
    1: string skuId
    2: i64 quantity
}

// A shipping address. In China the levels are GB/T 2260 regions: a request may name them (in
// full, short, in pinyin) or give their codes; an order keeps both, resolved.
struct Address {
    1: string name
    2: string phone
    3: string country
    4: string province
    5: string city
    6: string district
    7: string detail
    8: string postalCode
    9: string street
    10: string provinceCode
    11: string cityCode
    12: string districtCode
    13: string streetCode
}

// One promotion's part of a cart's or an order's discount.
struct AppliedDiscount {
    1: string promotionId
    2: string name
    3: string kind
    4: string couponCode
    5: Money amount
}

struct QuoteLine {
    1: string skuId
    2: string title
    3: string sellerId
    4: i64 quantity
    5: Money unitPrice
    6: Money total
    7: Money listPrice
    // The warehouse that ships the line; several, comma-separated, when no single one holds
    // enough and the line is spread (the groups then hold one line per warehouse).
    8: string warehouseId
    // The line's share of the cart's discounts, and what it costs after them.
    9: Money discount
    10: Money payable
    // The price list that set unitPrice; empty when it is the SKU's own price (or a script's).
    11: string priceListId
}

struct QuoteGroup {
    1: string sellerId
    2: list<QuoteLine> lines
    3: Money total
    // The split key within the seller (empty unless splitting.split_key says otherwise).
    4: string key
    5: Money discount
    6: Money payable
    7: list<AppliedDiscount> discounts
    // Set when the child order is pre-sale: the date it ships from (unix ms).
    8: optional i64 shipsAt
    // The child order's part of its seller's shipping fee; payable includes it.
    9: Money shippingFee
    // Set for a pre-sale quote: this child order's share of the deposit and of its credit, and
    // the balance it leaves (payable less the credit). The groups' shares add up to the quote's.
    10: optional PresaleTerms presale
}

struct QuoteRequest {
    1: Caller caller
    2: string flow
    3: list<Item> items
    // Where the goods would go, if known: it informs the warehouse choice.
    4: optional Address destination
    // Coupon codes to apply (checked, not used).
    5: list<string> coupons
    // The currency to pay in (ISO 4217); unset: the first SKU's own currency.
    6: optional string currency
    // The pre-sale campaign, for flow "presale".
    7: string presaleId
    // The group-buy campaign and the group to join (empty: open one), for flow "groupbuy".
    8: string groupBuyId
    9: string groupId
}

// What a pre-sale line costs up front: the deposit, and what it counts for against the price.
struct PresaleLineTerms {
    1: string skuId
    2: Money deposit
    3: Money credit
}

// A pre-sale cart's or trade's terms: the deposit, what it counts for, and the balance due
// after discounts and shipping (the total less the credit).
struct PresaleTerms {
    1: string presaleId
    2: Money deposit
    3: Money credit
    4: Money balanceDue
    5: list<PresaleLineTerms> lines
    // pending, paid, refunded or forfeited (a trade's; empty on a quote).
    6: string depositStatus
}

struct QuoteResponse {
    1: list<QuoteLine> lines
    2: list<QuoteGroup> groups
    3: Money total
    4: Money discount
    5: Money payable
    6: list<AppliedDiscount> discounts
    // Shipping, included in payable.
    7: Money shippingFee
    // Set for a pre-sale quote.
    8: optional PresaleTerms presale
    // Set for a cash-on-delivery quote: whether COD is offered for this cart at its destination.
    9: optional CodAvailability cod
    // Set for a group-buy quote: the group the order would open or join.
    10: optional GroupBuyPlace groupBuy
}

// Whether cash on delivery is offered, and if not, why: reason is a stable code
// (cod.disabled, cod.region_not_served, cod.amount_over_limit, ...) and message says it to the buyer.
struct CodAvailability {
    1: bool available
    2: string reason
    3: string message
}

struct OrderLine {
    1: i32 lineNo
    2: string skuId
    3: string title
    4: string warehouseId
    5: i64 quantity
    6: Money unitPrice
    7: Money total
    8: Money discount
    9: Money payable
    // The SKU's price before any buyer's price list, and the list that set unitPrice.
    10: Money listPrice
    11: string priceListId
}

struct Order {
    1: string orderId
    2: string tradeId
    3: string sellerId
    4: string status
    5: list<OrderLine> lines
    6: Money total
    7: string carrier
    8: string trackingNo
    9: string cancelReason
    10: i64 createdAt
    11: i64 updatedAt
    // total = subtotal - discount + shippingFee
    12: Money subtotal
    13: Money discount
    14: Money shippingFee
    15: list<AppliedDiscount> discounts
    // Set for a pre-sale order: the date it ships from (unix ms).
    16: optional i64 shipsAt
    // Set for a refunded order: the money going back.
    17: optional Refund refund
    // Whether the order's money is in and kept: a prepaid order from its payment on, a
    // cash-on-delivery order only once the carrier collected.
    18: bool paid
    // Every refund made for the order, oldest first (a pre-sale order called off gets its
    // deposit and its balance back, each from its own payment); refund is the first of them.
    19: list<Refund> refunds
    // Set for a pre-sale order read with its trade: its share of the deposit and of the credit,
    // and the balance it leaves (its total less its credit).
    20: optional PresaleTerms presale
    // The buyer, and the kind of trade (flow) the order belongs to.
    21: string userId
    22: string flow
}

// Refund is money going back from a trade's payment for one child order: its goods less their
// discounts plus its shipping part. status is pending until the provider accepts it.
struct Refund {
    1: string refundId
    2: string orderId
    3: string paymentId
    4: Money amount
    5: string status
    6: string reason
    7: i64 createdAt
    8: optional i64 settledAt
    // The after-sale request the refund pays back; empty for a whole-order refund.
    9: string afterSaleId
    // What the provider calls the refund once it accepted it.
    10: string providerRef
}

struct Trade {
    1: string tradeId
    2: string flow
    3: list<Order> orders
    4: Money total
    5: Money payable
    6: Address address
    7: i64 createdAt
    8: i64 payDeadline
    9: Money subtotal
    10: Money discount
    11: Money shippingFee
    // Every payment made for the trade, oldest first.
    12: list<Payment> payments
    // Set for a pre-sale trade.
    13: optional PresaleTerms presale
    // Where the trade's flow stands (awaiting_payment, paid, deposit_paid...).
    14: string state
    // credit is money paid before the trade that counts toward its price (an auction winner's
    // deposit); due is what its buyer still pays now: payable less the credit.
    15: Money credit
    16: Money due
    // Set for a group-buy trade: its place in its group.
    17: optional GroupBuyPlace groupBuy
}

struct PlaceOrderRequest {
    1: Caller caller
    2: string flow
    3: list<Item> items
    4: Address address
    5: string idempotencyKey
    // The total the buyer was shown; if the price has changed since, the order is refused.
    6: optional Money expectedTotal
    // Coupon codes to apply; each is used by the order and given back if it is cancelled.
    7: list<string> coupons
    // The currency to pay in (ISO 4217); unset: the first SKU's own currency.
    8: optional string currency
    // The pre-sale campaign, for flow "presale".
    9: string presaleId
    // The group-buy campaign and the group to join (empty: open one), for flow "groupbuy".
    10: string groupBuyId
    11: string groupId
}

struct TradeRef {
    1: Caller caller
    2: string tradeId
}

struct OrderRef {
    1: Caller caller
    2: string orderId
}

// CancelOrderRequest cancels an order in its own flow's way.
struct CancelOrderRequest {
    1: Caller caller
    2: string orderId
    // refundDeposit: an operator gives back, as goodwill, a deposit the cancel would forfeit
    // (an auction winner's, a pre-sale's); refused for a buyer and for an order holding none.
    3: bool refundDeposit
}

// ListOrdersRequest searches orders, newest first: a buyer's own, or (an operator) the
// tenant's. Empty fields do not filter; buyer is read for an operator only.
struct ListOrdersRequest {
    1: Caller caller
    2: i32 limit
    3: string cursor
    4: string status
    5: string flow
    6: string buyer
    7: string seller
    8: string sku
    // placed at or after createdFrom and before createdTo (unix ms; 0 is open)
    9: i64 createdFrom
    10: i64 createdTo
    // an order, trade, payment or refund id
    11: string q
}

struct ListOrdersResponse {
    1: list<Order> orders
    2: string nextCursor
}

struct ShipOrderRequest {
    1: Caller caller
    2: string orderId
    3: string carrier
    4: string trackingNo
}

struct DeliverOrderRequest {
    1: Caller caller
    2: string orderId
    // delivered, or (cash on delivery) refused.
    3: string outcome
    // For a cash-on-delivery order delivered: what the carrier collected (minor units), which
    // must be the order's total.
    4: optional i64 collected
}

struct CreatePaymentRequest {
    1: Caller caller
    2: string tradeId
    3: string method
    4: string idempotencyKey
    // What the payment is for: "full" (the default), "deposit", "balance"; a trade's flow says
    // which it owes.
    5: string purpose
}

struct Payment {
    1: string paymentId
    2: string tradeId
    3: string method
    4: string status
    5: Money amount
    6: string providerRef
    7: i64 createdAt
    // full, deposit, balance or cod_collection.
    8: string purpose
    // When the payment reached its outcome (unix ms; 0 while pending).
    9: i64 settledAt
    // The buyer who pays.
    10: string userId
}

// ListPaymentsRequest lists the tenant's payments for an operator, newest first.
struct ListPaymentsRequest {
    1: Caller caller
    2: string status
    3: string provider
    4: string purpose
    // only payments a provider reported differently from what was owed
    5: bool mismatched
    6: i32 limit
    7: string cursor
}

struct ListPaymentsResponse {
    1: list<Payment> payments
    2: string nextCursor
}

// ListRefundsRequest lists the tenant's refunds for an operator, newest first.
struct ListRefundsRequest {
    1: Caller caller
    2: string status
    3: i32 limit
    4: string cursor
}

struct ListRefundsResponse {
    1: list<Refund> refunds
    2: string nextCursor
}

struct SimulatePaymentRequest {
    1: Caller caller
    2: string paymentId
    3: string outcome
}

struct PaymentCallbackRequest {
    1: string provider
    2: map<string, string> headers
    3: binary body
}

struct PaymentCallbackResponse {
    1: bool accepted
}

struct UpsertSKURequest {
    1: Caller caller
    2: string skuId
    3: string title
    4: string sellerId
    5: Money price
    6: list<string> tags
    // Set for a pre-sale SKU: the date it ships from (unix ms). Until then its lines are
    // pre-sale and ship in child orders of their own.
    7: optional i64 presaleShipsAt
}

struct SKU {
    1: string skuId
    2: string title
    3: string sellerId
    4: Money price
    5: list<string> tags
    6: optional i64 presaleShipsAt
}

struct WarehouseRef {
    1: Caller caller
    2: string warehouseId
}

struct DeleteWarehouseResponse {
    1: string warehouseId
}

// ListSKUsRequest lists the tenant's SKUs, newest first: by seller, tag, or a piece of title.
struct ListSKUsRequest {
    1: Caller caller
    2: string seller
    3: string tag
    4: string title
    5: i32 limit
    6: string cursor
}

struct ListSKUsResponse {
    1: list<SKU> skus
    2: string nextCursor
}

// Where a warehouse is, for choosing the one nearest a buyer.
struct Region {
    1: string country
    2: string province
    3: string city
    4: string district
    5: string provinceCode
    6: string cityCode
    7: string districtCode
}

struct PutWarehouseRequest {
    1: Caller caller
    2: string warehouseId
    3: string name
    4: Region region
}

struct Warehouse {
    1: string warehouseId
    2: string name
    3: Region region
}

struct ListWarehousesRequest {
    1: Caller caller
}

struct ListWarehousesResponse {
    1: list<Warehouse> warehouses
}

// A seller's shipping fee per trade in one currency (minor units), waived when the seller's
// goods after discounts reach freeOver (0: never). sellerId "*" is the tenant's default.
struct ShippingTemplate {
    1: string sellerId
    2: string currency
    3: i64 fee
    4: i64 freeOver
    // Exceptions by destination: the first rule whose regions hold it applies instead.
    5: list<ShippingRegionRule> regions
}

// A shipping template's fee for destinations inside its regions (provinces, cities or districts,
// resolved when stored), or no delivery there.
struct ShippingRegionRule {
    1: list<Region> regions
    2: i64 fee
    3: i64 freeOver
    4: bool noDelivery
}

struct PutShippingTemplateRequest {
    1: Caller caller
    2: ShippingTemplate template
}

struct ListShippingTemplatesRequest {
    1: Caller caller
}

struct ListShippingTemplatesResponse {
    1: list<ShippingTemplate> templates
}

// Sets a warehouse's counted stock of a SKU, its hot mode, or both (at least one).
struct SetStockRequest {
    1: Caller caller
    2: string skuId
    3: string warehouseId
    4: optional i64 onHand
    // Hot levels reserve stock in batches ahead of each order, for flash sales.
    5: optional bool hot
}

struct SKURef {
    1: Caller caller
    2: string skuId
}

struct StockLevel {
    1: string warehouseId
    2: i64 onHand
    3: i64 available
    4: i64 reserved
    5: i64 sold
    6: bool hot
    // Units that came back damaged: on hand, off sale (available + reserved + sold + damaged = onHand).
    7: i64 damaged
}

struct StockResponse {
    1: string skuId
    2: list<StockLevel> levels
}

struct PingRequest {
}

struct PingResponse {
    1: bool ready
}

// Extension points and scripts (operators).

struct Budget {
    1: i64 wallMicros
    2: i64 instructions
    3: i32 maxInputBytes
    4: i32 maxOutputBytes
}

struct ExtensionPoint {
    1: string name
    2: string doc
    3: string policy
    4: string mode
    5: Budget budget
}

struct ListPointsRequest {
    1: Caller caller
}

struct ListPointsResponse {
    1: list<ExtensionPoint> points
}

struct ScriptVersion {
    1: string scriptId
    2: i32 version
    3: string point
    4: string hash
    5: string author
    6: string notes
    7: i64 createdAt
    8: string source
}

struct UploadScriptRequest {
    1: Caller caller
    2: string scriptId
    3: string source
    4: string notes
}

struct ValidateScriptRequest {
    1: Caller caller
    2: string source
}

struct ValidateScriptResponse {
    1: string point
    2: i32 fixtures
}

struct TestRunScriptRequest {
    1: Caller caller
    2: string scriptId
    3: i32 version
    4: binary input
    5: optional binary previous
}

struct TestRunScriptResponse {
    1: binary output
    // What the run used: its time, its instructions, and the budget it ran under.
    2: i64 tookMicros
    3: i64 instructions
    4: Budget budget
}

// ShadowScriptRequest replays a stored version over the logged calls of its point at a scope.
struct ShadowScriptRequest {
    1: Caller caller
    2: string scriptId
    3: i32 version
    4: string scope
    // the version's own point when empty
    5: string point
    // the latest calls to replay (0: 1,000), since a time (unix ms; 0: a week ago)
    6: i32 limit
    7: i64 since
}

struct ShadowCall {
    1: string tradeId
    2: i32 seq
    3: i64 at
    // the version that served the call (empty: the Go default, after its script failed)
    4: string ranScriptId
    5: i32 ranVersion
    6: binary baseline
    7: binary candidate
    // what the buyer would pay more (negative: less) with the candidate, in minor units
    8: i64 moneyDelta
    9: string currency
    10: string error
    11: bool budgetHit
    // the candidate's time on the call, in microseconds
    12: i64 tookMicros
}

struct ShadowReport {
    1: string scriptId
    2: i32 version
    3: string point
    4: string scope
    5: i64 since
    6: i32 calls
    7: i32 changed
    8: i32 errors
    9: i32 budgetHits
    // whether the point's output is money; then the total difference per currency
    10: bool money
    11: map<string, i64> moneyDelta
    12: i32 changedMoney
    13: i64 tookMicros
    14: list<ShadowCall> changedCalls
    15: list<ShadowCall> failedCalls
    16: list<ShadowCall> slowest
    // calls logged cut short (too large to keep whole), not replayed
    17: i32 skipped
}

struct Publication {
    1: string scope
    2: string point
    3: string stableScript
    4: i32 stableVersion
    5: string grayScript
    6: i32 grayVersion
    7: i32 grayBasisPoints
    8: string publishedBy
    9: i64 publishedAt
}

struct PublishScriptRequest {
    1: Caller caller
    2: string scope
    3: string scriptId
    4: i32 version
    // 10000 publishes to every user; less publishes a gray version to that share of users.
    5: i32 grayBasisPoints
}

struct RollbackScriptRequest {
    1: Caller caller
    2: string scope
    3: string point
}

struct RollbackScriptResponse {
    // What is published now; absent when the Go default applies again.
    1: optional Publication current
}

struct ListScriptVersionsRequest {
    1: Caller caller
    2: string scriptId
}

struct ListScriptVersionsResponse {
    1: list<ScriptVersion> versions
}

struct ListPublicationsRequest {
    1: Caller caller
}

struct ListPublicationsResponse {
    1: list<Publication> publications
}

struct ScriptRun {
    1: i32 seq
    2: string point
    3: string scope
    4: string scriptId
    5: i32 version
    6: bool gray
    7: string outcome
    8: binary input
    9: binary output
    10: string error
    11: i64 at
    12: optional binary previous
}

struct OrderScriptRunsRequest {
    1: Caller caller
    2: string orderId
}

struct OrderScriptRunsResponse {
    1: string tradeId
    2: list<ScriptRun> runs
}

// Front ends: which tenant, business line and channel a front end (app, mini-program, site)
// belongs to. The access layer resolves a token's front end through these.

struct Frontend {
    1: string frontendId
    2: string tenant
    3: string bizCode
    4: string channel
    5: i64 updatedAt
}

struct RegisterFrontendRequest {
    1: Caller caller
    2: string frontendId
    3: string bizCode
    4: string channel
}

struct ListFrontendsRequest {
    // An operator lists its tenant's; the access layer (role "system") lists every tenant's.
    1: Caller caller
}

struct ListFrontendsResponse {
    1: list<Frontend> frontends
}

// Promotions, coupons and campaign budgets (admin). Money is in minor units of the currency.
struct PromotionTier {
    1: i64 minSpend
    2: i64 save
}

struct PromotionScope {
    1: list<string> skus
    2: list<string> sellers
    3: list<string> categories
}

struct Promotion {
    1: string id
    2: string name
    3: string kind
    4: string currency
    5: PromotionScope scope
    6: i64 percent
    7: i64 amount
    8: list<PromotionTier> tiers
    9: i64 buy
    10: i64 get
    11: i64 bundleQuantity
    12: i64 bundlePrice
    13: i64 minSpend
    14: i64 maxDiscount
    15: i64 startsAt
    16: i64 endsAt
    17: i64 priority
    18: string group
    19: bool exclusive
    20: bool couponOnly
    21: string campaignId
    22: bool disabled
    // active, scheduled, ended or disabled when it was read (read-only)
    23: string state
}

struct PutPromotionRequest {
    1: Caller caller
    2: Promotion promotion
}

struct PromotionRef {
    1: Caller caller
    2: string id
}

struct ListPromotionsRequest {
    1: Caller caller
    // only those in this state now (active, scheduled, ended, disabled); empty: all
    2: string state
}

struct ListPromotionsResponse {
    1: list<Promotion> promotions
}

struct Coupon {
    1: string code
    2: string promotionId
    3: i64 totalUses
    4: i64 perUser
    5: i64 validFrom
    6: i64 validTo
    7: i64 used
    // when an operator disabled it (unix ms; 0: enabled)
    8: i64 disabledAt
    // active, scheduled, ended, disabled or used_up when it was read (read-only)
    9: string state
}

// ListCouponsRequest lists the tenant's coupons, newest first: of a promotion, in a state now.
struct ListCouponsRequest {
    1: Caller caller
    2: string promotionId
    3: string state
    4: i32 limit
    5: string cursor
}

struct ListCouponsResponse {
    1: list<Coupon> coupons
    2: string nextCursor
}

struct PutCouponRequest {
    1: Caller caller
    2: Coupon coupon
}

struct CouponRef {
    1: Caller caller
    2: string code
}

struct Campaign {
    1: string id
    2: string name
    3: string currency
    4: i64 budget
    5: i64 spent
}

struct PutCampaignRequest {
    1: Caller caller
    2: Campaign campaign
}

struct CampaignRef {
    1: Caller caller
    2: string id
}

// Purchase limits (admin).
struct LimitRule {
    1: string id
    2: string name
    3: string kind
    4: list<string> skus
    5: list<string> categories
    6: string period
    7: string unit
    8: i64 max
    9: i64 startsAt
    10: i64 endsAt
    11: string timezone
    12: bool disabled
}

// A pre-sale SKU: its price, the deposit per unit, and what the deposit counts for against the
// price (at least the deposit, at most the price).
struct PresaleSKU {
    1: string skuId
    2: i64 price
    3: i64 deposit
    4: i64 depositCredit
}

// A pre-sale campaign (minor units; windows in unix ms, each start inclusive, each end exclusive).
struct PresaleCampaign {
    1: string id
    2: string name
    3: string currency
    4: list<PresaleSKU> skus
    5: i64 depositStartsAt
    6: i64 depositEndsAt
    7: i64 balanceStartsAt
    8: i64 balanceEndsAt
    9: i64 perUser
    10: bool depositRefundable
    11: string status
    12: i64 updatedAt
}

// Where cash on delivery is offered: a province, or a city of it (China: GB/T 2260 names, short
// names, pinyin or codes; stored resolved).
struct CodRegion {
    1: string country
    2: string province
    3: string city
    4: string provinceCode
    5: string cityCode
}

// A tenant's cash-on-delivery rules (money in minor units of currency).
struct CodRules {
    1: bool enabled
    // 0: no cap.
    2: i64 maxAmount
    3: string currency
    // None: everywhere.
    4: list<CodRegion> regions
    5: list<string> excludedTags
    // A buyer with more refused deliveries inside the window is not offered COD; unset: no limit.
    6: optional i64 maxRefusals
    7: i64 refusalWindowDays
    8: i64 updatedAt
}

struct PutCodRulesRequest {
    1: Caller caller
    2: CodRules rules
}

struct GetCodRulesRequest {
    1: Caller caller
}

struct PutPresaleRequest {
    1: Caller caller
    2: PresaleCampaign campaign
}

struct PresaleRef {
    1: Caller caller
    2: string id
}

struct CancelPresaleResponse {
    1: PresaleCampaign campaign
    // How many of the campaign's trades this call ended (cancelled or refunded).
    2: i32 tradesEnded
}

struct PutLimitRuleRequest {
    1: Caller caller
    2: LimitRule rule
}

struct LimitRuleRef {
    1: Caller caller
    2: string id
}

struct ListLimitRulesRequest {
    1: Caller caller
}

struct ListLimitRulesResponse {
    1: list<LimitRule> rules
}

// PriceList sets unit prices (minor units of currency) for some channels and member levels
// (empty: everyone), from startsAt to endsAt (unix ms; unset: open). The highest priority that
// applies wins; among equals, the lowest price.
struct PriceList {
    1: string priceListId
    2: string name
    3: string currency
    4: list<string> channels
    5: list<string> memberLevels
    6: optional i64 startsAt
    7: optional i64 endsAt
    8: i32 priority
    // Empty in a listing; priceCount says how many the list holds.
    9: list<ListedPrice> prices
    10: i32 priceCount
}

struct ListedPrice {
    1: string skuId
    2: i64 price
}

struct PutPriceListRequest {
    1: Caller caller
    2: PriceList priceList
}

struct PriceListRef {
    1: Caller caller
    2: string priceListId
}

struct ListPriceListsRequest {
    1: Caller caller
}

struct ListPriceListsResponse {
    1: list<PriceList> priceLists
}

struct DeletePriceListResponse {
    1: string priceListId
}

// After-sale: some units of one child order asked back (refund_only, or return_refund), valued to
// the minor unit by what they paid after every discount.
struct AfterSaleAsk {
    1: i32 lineNo
    2: i64 quantity
}

struct RequestAfterSaleRequest {
    1: Caller caller
    2: string orderId
    3: string kind
    4: list<AfterSaleAsk> lines
    5: string reason
    6: string note
    7: string idempotencyKey
}

struct AfterSaleLine {
    1: i32 lineNo
    2: string skuId
    3: string warehouseId
    4: i64 quantity
    // What the units paid after every discount, and their share of the discounts.
    5: Money amount
    6: Money discount
}

struct AfterSale {
    1: string afterSaleId
    2: string tradeId
    3: string orderId
    4: string userId
    5: string kind
    6: string status
    7: list<AfterSaleLine> lines
    8: string reason
    9: string note
    // goods + shipping = computed; amount is what goes back (less where an operator or a rule said).
    10: Money goods
    11: Money shipping
    12: Money computed
    13: Money amount
    14: string decision
    15: string decidedBy
    16: string condition
    17: string carrier
    18: string trackingNo
    19: list<Refund> refunds
    20: i64 createdAt
    21: i64 updatedAt
}

struct AfterSaleRef {
    1: Caller caller
    2: string afterSaleId
}

struct ListAfterSalesRequest {
    1: Caller caller
    // Operators may filter by status; a buyer lists their own.
    2: string status
    3: i32 limit
    4: string cursor
}

struct ListAfterSalesResponse {
    1: list<AfterSale> afterSales
    2: string nextCursor
}

struct ShipReturnRequest {
    1: Caller caller
    2: string afterSaleId
    3: string carrier
    4: string trackingNo
}

struct ApproveAfterSaleRequest {
    1: Caller caller
    2: string afterSaleId
    // Less than the request's amount, in minor units of its currency: a partial refund, with a reason.
    3: optional i64 amount
    4: string reason
}

struct RejectAfterSaleRequest {
    1: Caller caller
    2: string afterSaleId
    3: string reason
}

struct ReceiveReturnRequest {
    1: Caller caller
    2: string afterSaleId
    3: string condition
}

// A tenant's after-sale policy; windows in seconds.
struct AfterSalePolicy {
    1: i64 returnWindowSeconds
    2: map<string, i64> tagWindowSeconds
    3: string shipping
    4: bool autoApproveUnshipped
    5: i64 sellerWindowSeconds
    6: i64 shipBackWindowSeconds
}

struct PutAfterSalePolicyRequest {
    1: Caller caller
    2: AfterSalePolicy policy
}

struct GetAfterSalePolicyRequest {
    1: Caller caller
}

// An operator's word that a refund of money collected offline (cash on delivery) was paid by hand.
struct ConfirmRefundRequest {
    1: Caller caller
    2: string refundId
    3: string reference
}

// Auctions: one unit of a SKU, English bidding by hand or by proxy, a deposit to bid. Money in
// minor units, times in unix ms.
struct AuctionStep {
    1: i64 from
    2: i64 step
}

struct AuctionTerms {
    1: string auctionId
    2: string skuId
    3: string title
    4: string currency
    5: i64 startPrice
    // The step that applies is the one with the highest from at or below the current price.
    6: list<AuctionStep> increments
    7: i64 reservePrice
    8: i64 deposit
    9: i64 startsAt
    10: i64 endsAt
    11: i64 antiSnipeSeconds
    12: i64 extendSeconds
    13: i32 maxExtensions
    14: i64 payWindowSeconds
}

struct PutAuctionRequest {
    1: Caller caller
    2: AuctionTerms terms
}

struct AuctionRef {
    1: Caller caller
    2: string auctionId
}

// ListAuctionsRequest lists a tenant's auctions, the latest to open first: one SKU's, in a status
// now (scheduled, running, ended, sold, unsold, cancelled).
struct ListAuctionsRequest {
    1: Caller caller
    2: string skuId
    3: string status
    4: i32 limit
    5: string cursor
}

struct ListAuctionsResponse {
    1: list<Auction> auctions
    2: string nextCursor
}

struct AuctionDeposit {
    1: string depositId
    2: string bidder
    3: Money amount
    // pending, paid, refunded, credited (to the winner's order) or forfeited.
    4: string status
    5: string paymentId
    6: i64 updatedAt
}

struct AuctionSale {
    1: string tradeId
    2: string bidder
    3: Money price
    4: Money credit
    5: bool secondChance
    6: i64 createdAt
    // outcome is how a sale that did not go ahead ended: forfeited (the winner did not pay or
    // cancelled) or released (an operator cancelled it and refunded the deposit); empty while
    // it may go ahead. endedAt is when.
    7: string outcome
    8: i64 endedAt
}

struct Auction {
    1: string auctionId
    2: string skuId
    3: string title
    // scheduled, running, ended, sold, unsold or cancelled.
    4: string status
    5: Money startPrice
    6: list<AuctionStep> increments
    // The reserve is an operator's: buyers only learn reserveMet.
    7: optional Money reservePrice
    8: Money deposit
    9: i64 startsAt
    // endsAt is the close after anti-sniping extensions; scheduledEndsAt the one set.
    10: i64 endsAt
    11: i64 scheduledEndsAt
    12: i64 antiSnipeSeconds
    13: i64 extendSeconds
    14: i32 maxExtensions
    15: i32 extensions
    16: i64 payWindowSeconds
    // currentPrice is zero before the first bid; minNextBid is the least the next bid may be.
    17: Money currentPrice
    18: Money minNextBid
    19: i64 bidCount
    20: bool reserveMet
    // The caller's own: whether they lead, and their deposit.
    21: bool leading
    22: optional AuctionDeposit myDeposit
    // Operators see the leader, every deposit and the sales.
    23: string leader
    24: list<AuctionDeposit> deposits
    25: list<AuctionSale> sales
}

struct PayDepositRequest {
    1: Caller caller
    2: string auctionId
    3: string method
    // Where the unit goes if this bidder wins.
    4: Address address
    5: string idempotencyKey
}

struct PayDepositResponse {
    1: AuctionDeposit deposit
    2: optional Payment payment
}

struct PlaceBidRequest {
    1: Caller caller
    2: string auctionId
    // A bid by hand, or a proxy's maximum: exactly one of them.
    3: i64 amount
    4: i64 maxAmount
    5: string idempotencyKey
    // The currency the amounts are in, as the buyer's front end read them; it must be the
    // auction's. Empty: the auction's.
    6: string currency
}

struct PlaceBidResponse {
    1: bool accepted
    2: Money currentPrice
    3: bool leading
    4: Money minNextBid
}

struct AuctionBid {
    1: i64 seq
    // Masked except to the bidder themselves and to operators.
    2: string bidder
    3: Money amount
    4: bool proxy
    5: i64 at
    6: bool mine
}

// An operator's decision on an auction its business's rule left for review: sell or unsold.
struct DecideAuctionRequest {
    1: Caller caller
    2: string auctionId
    3: string decision
}

struct ListBidsRequest {
    1: Caller caller
    2: string auctionId
    3: i64 before
    4: i32 limit
}

struct ListBidsResponse {
    1: list<AuctionBid> bids
}

// A group-buy trade's (or quote's) place in its group: the group and where it stands, and the
// member's own status (joined: awaiting payment; paid; left: never paid, the place freed;
// refunded). groupId is empty on a quote that would open a group.
struct GroupBuyPlace {
    1: string groupBuyId
    2: string groupId
    3: string groupStatus
    4: string memberStatus
    5: bool leader
    6: i32 size
    // members hold a place (joined or paid); needed is how many more must pay to form it.
    7: i32 members
    8: i32 needed
    9: i64 expiresAt
}

// A campaign's price of a SKU, in minor units of the campaign's currency.
struct GroupBuySKU {
    1: string skuId
    2: i64 price
}

// A group-buy campaign (拼团): groupSize paid members form a group within formationSeconds;
// virtualFill completes a group short of at most that many at its deadline (0: never).
struct GroupBuyCampaign {
    1: string id
    2: string name
    3: string currency
    4: list<GroupBuySKU> skus
    5: i32 groupSize
    6: i64 formationSeconds
    7: i64 startsAt
    8: i64 endsAt
    9: i64 perUser
    10: i32 virtualFill
    11: string status
    12: i64 createdAt
    13: i64 updatedAt
    // An operator's read: every group of the campaign, newest first, with its members.
    14: list<GroupBuyGroup> groups
}

struct GroupBuyMember {
    // The buyer, masked except to an operator.
    1: string userId
    2: string status
    3: bool leader
    4: i64 joinedAt
    // The member's trade: an operator's read only.
    5: string tradeId
}

struct GroupBuyGroup {
    1: string groupId
    2: string groupBuyId
    // The leader, masked except to an operator.
    3: string leader
    4: string status
    5: i32 size
    // members hold a place (joined or paid); paid of them paid; needed more must pay to form it.
    6: i32 members
    7: i32 paid
    8: i32 needed
    9: i64 expiresAt
    10: i64 createdAt
    11: i64 endedAt
    // Why a failed group failed: group_expired, campaign_cancelled.
    12: string reason
    13: list<GroupBuyMember> memberList
    // Whether the caller holds a place in it.
    14: bool joined
}

struct PutGroupBuyRequest {
    1: Caller caller
    2: GroupBuyCampaign campaign
}

// A campaign (GetGroupBuy, CancelGroupBuy) or a group (GetGroup) by id.
struct GroupBuyRef {
    1: Caller caller
    2: string id
}

struct ListGroupsRequest {
    1: Caller caller
    2: string groupBuyId
    3: i32 limit
    4: string cursor
}

struct ListGroupsResponse {
    1: list<GroupBuyGroup> groups
    2: string nextCursor
}

struct CancelGroupBuyResponse {
    1: GroupBuyCampaign campaign
    2: i32 groupsFailed
}

// The trade node serves these services on one Kitex server. Reads and the lifecycle work on every
// kind of trade (dispatched on its stored scenario); each flow has a service for its own verbs;
// each capability's operators have theirs.

// Reads of trades and orders, whatever their flow.
// A report of the order-events projection: statuses as they are now, sales per SKU per UTC day.
struct OrderStatsRequest {
    1: Caller caller
    // YYYY-MM-DD, inclusive; unset: the last 30 days up to today.
    2: string from
    3: string to
    // Only this flow's status counts; only this SKU's sales.
    4: string flow
    5: string skuId
}

struct OrderStatusCount {
    1: string flow
    2: string status
    3: string currency
    4: i64 orders
    // The orders' totals, minor units.
    5: i64 amount
}

struct SkuDailySales {
    1: string day
    2: string skuId
    3: string currency
    // Orders paid that day holding the SKU, their units and what the buyers paid for them.
    4: i64 orders
    5: i64 units
    6: i64 amount
    // Units and amounts refunded that day.
    7: i64 refundedUnits
    8: i64 refundedAmount
}

struct OrderStats {
    1: string from
    2: string to
    3: list<OrderStatusCount> byStatus
    4: list<SkuDailySales> skuDaily
}

// TradeStory is the whole of one trade for an operator: the trade (buyer, address, orders and
// lines with list price, discounts, payable and refunds, payments), its after-sales, where its
// flow stands, its timers, the timeline of its events, and the script versions that decided it.
struct TradeStory {
    1: Trade trade
    2: string userId
    3: string bizCode
    4: list<AfterSale> afterSales
    5: list<TradeTimer> timers
    6: list<TimelineEntry> timeline
    7: list<ScriptRun> scripts
    // flowVersion counts the moves of the trade's flow instance (state is on trade).
    8: i64 flowVersion
    9: i64 flowUpdatedAt
}

// TradeTimer is a durable timer of the trade, of one of its refunds or after-sales: pending
// (doneAt 0), or done (run, or called off) and not purged yet.
struct TradeTimer {
    1: string kind
    2: string ref
    3: i64 dueAt
    4: i64 doneAt
    5: i32 attempts
    6: string lastError
}

// TimelineEntry is one event of the trade, as written with the change that caused it.
struct TimelineEntry {
    1: string eventId
    2: string event
    3: i64 at
    // who acted: buyer:<id>, operator:<id>, provider:<name>, timer:<kind> or system
    4: string actor
    5: string orderId
    // the event as published (JSON)
    6: string detail
}

service TradeQueries {
    // Ping answers when the service and its database can serve.
    PingResponse Ping(1: PingRequest req)
    Trade GetTrade(1: TradeRef req)
    Order GetOrder(1: OrderRef req)
    ListOrdersResponse ListOrders(1: ListOrdersRequest req)
    // GetTradeStory is an operator's whole view of one trade.
    TradeStory GetTradeStory(1: TradeRef req)
    ListPaymentsResponse ListPayments(1: ListPaymentsRequest req)
    ListRefundsResponse ListRefunds(1: ListRefundsRequest req)
}

// What happens to a trade once placed, whatever its flow: the trade's stored scenario decides.
service TradeLifecycle {
    Order CancelOrder(1: CancelOrderRequest req)
    Order ShipOrder(1: ShipOrderRequest req)
    Order DeliverOrder(1: DeliverOrderRequest req)
    Order CompleteOrder(1: OrderRef req)
    // RefundOrder closes a paid order that has not shipped and gives its money back.
    Order RefundOrder(1: OrderRef req)
    Payment CreatePayment(1: CreatePaymentRequest req)
    Payment SimulatePayment(1: SimulatePaymentRequest req)
    PaymentCallbackResponse PaymentCallback(1: PaymentCallbackRequest req)
}

// A buyer's cart in any flow: the trade node looks the flow up by the request's flow ("" is
// fixed_price) and an unknown flow is refused (trade.unknown_flow). Each flow reads its own fields
// of the request (presaleId, ...) and adds its own terms to the answer.
service TradeIntake {
    QuoteResponse Quote(1: QuoteRequest req)
    Trade PlaceOrder(1: PlaceOrderRequest req)
}

service CatalogAdmin {
    SKU UpsertSKU(1: UpsertSKURequest req)
    SKU GetSKU(1: SKURef req)
    ListSKUsResponse ListSKUs(1: ListSKUsRequest req)
    StockResponse SetStock(1: SetStockRequest req)
    StockResponse GetStock(1: SKURef req)
    Warehouse PutWarehouse(1: PutWarehouseRequest req)
    ListWarehousesResponse ListWarehouses(1: ListWarehousesRequest req)
    // DeleteWarehouse removes a warehouse that never held stock.
    DeleteWarehouseResponse DeleteWarehouse(1: WarehouseRef req)
}

service DeliveryAdmin {
    ShippingTemplate PutShippingTemplate(1: PutShippingTemplateRequest req)
    ListShippingTemplatesResponse ListShippingTemplates(1: ListShippingTemplatesRequest req)
}

service PricingAdmin {
    PriceList PutPriceList(1: PutPriceListRequest req)
    PriceList GetPriceList(1: PriceListRef req)
    ListPriceListsResponse ListPriceLists(1: ListPriceListsRequest req)
    DeletePriceListResponse DeletePriceList(1: PriceListRef req)
    // EndPriceList closes a list now, keeping it and its prices.
    PriceList EndPriceList(1: PriceListRef req)
}

service ExtensionsAdmin {
    ListPointsResponse ListExtensionPoints(1: ListPointsRequest req)
    ValidateScriptResponse ValidateScript(1: ValidateScriptRequest req)
    ScriptVersion UploadScript(1: UploadScriptRequest req)
    TestRunScriptResponse TestRunScript(1: TestRunScriptRequest req)
    Publication PublishScript(1: PublishScriptRequest req)
    RollbackScriptResponse RollbackScript(1: RollbackScriptRequest req)
    ListScriptVersionsResponse ListScriptVersions(1: ListScriptVersionsRequest req)
    ListPublicationsResponse ListPublications(1: ListPublicationsRequest req)
    OrderScriptRunsResponse OrderScriptRuns(1: OrderScriptRunsRequest req)
    // ShadowScript runs a version beside the logged calls of its point, changing nothing.
    ShadowReport ShadowScript(1: ShadowScriptRequest req)
}

service FrontendsAdmin {
    Frontend RegisterFrontend(1: RegisterFrontendRequest req)
    ListFrontendsResponse ListFrontends(1: ListFrontendsRequest req)
}

service DiscountAdmin {
    Promotion PutPromotion(1: PutPromotionRequest req)
    Promotion GetPromotion(1: PromotionRef req)
    ListPromotionsResponse ListPromotions(1: ListPromotionsRequest req)
    Coupon PutCoupon(1: PutCouponRequest req)
    Coupon GetCoupon(1: CouponRef req)
    ListCouponsResponse ListCoupons(1: ListCouponsRequest req)
    Campaign PutCampaign(1: PutCampaignRequest req)
    Campaign GetCampaign(1: CampaignRef req)
    // DisablePromotion and DisableCoupon stop them applying from now, keeping them for the books.
    Promotion DisablePromotion(1: PromotionRef req)
    Coupon DisableCoupon(1: CouponRef req)
}

service LimitsAdmin {
    LimitRule PutLimitRule(1: PutLimitRuleRequest req)
    LimitRule GetLimitRule(1: LimitRuleRef req)
    ListLimitRulesResponse ListLimitRules(1: ListLimitRulesRequest req)
}

// ListCampaignsRequest lists a tenant's pre-sale or group-buy campaigns, newest first: all, or
// those in a status (active, cancelled).
struct ListCampaignsRequest {
    1: Caller caller
    2: string status
    3: i32 limit
    4: string cursor
}

struct ListPresalesResponse {
    1: list<PresaleCampaign> campaigns
    2: string nextCursor
}

struct ListGroupBuysResponse {
    1: list<GroupBuyCampaign> campaigns
    2: string nextCursor
}

service PresaleAdmin {
    PresaleCampaign PutPresale(1: PutPresaleRequest req)
    PresaleCampaign GetPresale(1: PresaleRef req)
    ListPresalesResponse ListPresales(1: ListCampaignsRequest req)
    CancelPresaleResponse CancelPresale(1: PresaleRef req)
}

// The auditor's findings (product-layer/audit): what is wrong in the tenant's books now.
struct AuditRequest {
    1: Caller caller
    // Only findings of this kind ("money.overpaid"), or of this family ("money").
    2: string kind
}

struct AuditFinding {
    // Stable: stock.unbalanced, money.overpaid, stranded.payment_pending, ...
    1: string kind
    // The id it is about: an order, a trade, a payment, "sku/warehouse", a deposit, a group.
    2: string subject
    // The check that found it, and what is wrong, with the figures.
    3: string check
    4: string detail
    // RFC 3339: when a run first found it, and the latest run that found it again.
    5: string firstSeen
    6: string lastSeen
}

struct AuditReport {
    1: string tenant
    // When the tenant's books were last audited (RFC 3339; empty: never).
    2: string auditedAt
    // Open findings, the oldest first.
    3: list<AuditFinding> findings
    // Open findings by kind.
    4: map<string, i64> byKind
}

service StatsAdmin {
    OrderStats GetOrderStats(1: OrderStatsRequest req)
}

service AuditAdmin {
    AuditReport GetAudit(1: AuditRequest req)
}

service CodAdmin {
    CodRules PutCodRules(1: PutCodRulesRequest req)
    CodRules GetCodRules(1: GetCodRulesRequest req)
}


// After-sale requests on trades of every flow: the buyer's verbs and the operator's decisions.
service AfterSales {
    AfterSale RequestAfterSale(1: RequestAfterSaleRequest req)
    AfterSale GetAfterSale(1: AfterSaleRef req)
    ListAfterSalesResponse ListAfterSales(1: ListAfterSalesRequest req)
    AfterSale CancelAfterSale(1: AfterSaleRef req)
    AfterSale ShipReturn(1: ShipReturnRequest req)
    AfterSale ApproveAfterSale(1: ApproveAfterSaleRequest req)
    AfterSale RejectAfterSale(1: RejectAfterSaleRequest req)
    AfterSale ReceiveReturn(1: ReceiveReturnRequest req)
}

service AfterSaleAdmin {
    AfterSalePolicy PutAfterSalePolicy(1: PutAfterSalePolicyRequest req)
    AfterSalePolicy GetAfterSalePolicy(1: GetAfterSalePolicyRequest req)
    Refund ConfirmRefund(1: ConfirmRefundRequest req)
}

// Auctions as buyers take part in them.
service Auctions {
    Auction GetAuction(1: AuctionRef req)
    PayDepositResponse PayDeposit(1: PayDepositRequest req)
    PlaceBidResponse PlaceBid(1: PlaceBidRequest req)
    ListBidsResponse ListBids(1: ListBidsRequest req)
}

service AuctionAdmin {
    Auction PutAuction(1: PutAuctionRequest req)
    Auction GetAuctionAdmin(1: AuctionRef req)
    // ListAuctions lists them as operators see them (reserve and leader), without deposits and sales.
    ListAuctionsResponse ListAuctions(1: ListAuctionsRequest req)
    Auction CancelAuction(1: AuctionRef req)
    Trade SecondChance(1: AuctionRef req)
    Auction DecideAuction(1: DecideAuctionRequest req)
}

// Group buying: buyers read a campaign and its joinable groups and one group; operators put,
// read (with every group and member) and cancel campaigns. Orders go through TradeIntake (flow
// groupbuy).
service GroupBuys {
    GroupBuyCampaign GetGroupBuy(1: GroupBuyRef req)
    ListGroupsResponse ListGroups(1: ListGroupsRequest req)
    GroupBuyGroup GetGroup(1: GroupBuyRef req)
    GroupBuyCampaign PutGroupBuy(1: PutGroupBuyRequest req)
    // ListGroupBuys lists the tenant's campaigns for its operators (without their groups).
    ListGroupBuysResponse ListGroupBuys(1: ListCampaignsRequest req)
    CancelGroupBuyResponse CancelGroupBuy(1: GroupBuyRef req)
}
