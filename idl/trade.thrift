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
}

struct Money {
    1: i64 amount
    2: string currency
}

struct Item {
    1: string skuId
    2: i64 quantity
}

struct Address {
    1: string name
    2: string phone
    3: string country
    4: string province
    5: string city
    6: string district
    7: string detail
    8: string postalCode
}

struct QuoteLine {
    1: string skuId
    2: string title
    3: string sellerId
    4: i64 quantity
    5: Money unitPrice
    6: Money total
}

struct QuoteGroup {
    1: string sellerId
    2: list<QuoteLine> lines
    3: Money total
}

struct QuoteRequest {
    1: Caller caller
    2: string flow
    3: list<Item> items
}

struct QuoteResponse {
    1: list<QuoteLine> lines
    2: list<QuoteGroup> groups
    3: Money total
}

struct OrderLine {
    1: i32 lineNo
    2: string skuId
    3: string title
    4: string warehouseId
    5: i64 quantity
    6: Money unitPrice
    7: Money total
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
}

struct PlaceOrderRequest {
    1: Caller caller
    2: string flow
    3: list<Item> items
    4: Address address
    5: string idempotencyKey
    // The total the buyer was shown; if the price has changed since, the order is refused.
    6: optional Money expectedTotal
}

struct TradeRef {
    1: Caller caller
    2: string tradeId
}

struct OrderRef {
    1: Caller caller
    2: string orderId
}

struct ListOrdersRequest {
    1: Caller caller
    2: i32 limit
    3: string cursor
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
    3: string outcome
}

struct CreatePaymentRequest {
    1: Caller caller
    2: string tradeId
    3: string method
    4: string idempotencyKey
}

struct Payment {
    1: string paymentId
    2: string tradeId
    3: string method
    4: string status
    5: Money amount
    6: string providerRef
    7: i64 createdAt
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
}

struct SKU {
    1: string skuId
    2: string title
    3: string sellerId
    4: Money price
}

struct SetStockRequest {
    1: Caller caller
    2: string skuId
    3: string warehouseId
    4: i64 onHand
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

service TradeService {
    // Ping answers when the service and its database can serve.
    PingResponse Ping(1: PingRequest req)
    QuoteResponse Quote(1: QuoteRequest req)
    Trade PlaceOrder(1: PlaceOrderRequest req)
    Trade GetTrade(1: TradeRef req)
    Order GetOrder(1: OrderRef req)
    ListOrdersResponse ListOrders(1: ListOrdersRequest req)
    Order CancelOrder(1: OrderRef req)
    Order ShipOrder(1: ShipOrderRequest req)
    Order DeliverOrder(1: DeliverOrderRequest req)
    Order CompleteOrder(1: OrderRef req)
    Payment CreatePayment(1: CreatePaymentRequest req)
    Payment SimulatePayment(1: SimulatePaymentRequest req)
    PaymentCallbackResponse PaymentCallback(1: PaymentCallbackRequest req)
    SKU UpsertSKU(1: UpsertSKURequest req)
    StockResponse SetStock(1: SetStockRequest req)
    StockResponse GetStock(1: SKURef req)
}
